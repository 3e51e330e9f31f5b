#!/usr/bin/env bash
# The GPU device check as one script (docs/gpu.md, "The device run"): on a node that has a GPU, a bundle
# (gpu-bundle.sh) and PyTorch with CUDA, it runs the TornadoVM backend's tests on the GPU, the benches beside
# PyTorch CUDA and the CPU backend, and a 50-step training run on both backends, writing everything under OUT.
#
#   device-run.sh stage --out DIR    # here, after a build with TORNADOVM_HOME: the suite's jars, the backend's
#                                    # tests, JUnit's console, the PyTorch peer, an OpenCL ICD loader, this script
#   device-run.sh run --bundle DEST --out OUT [--only PHASES] [--quick] [--peer-device cuda|cpu]
#
# PHASES (comma-separated, default all): env, tests, gemm, train, decode, compare. Each phase has its own time
# limit and writes as it goes into a work folder that outlives the call (${TMPDIR:-/tmp}/device-run), so a run
# cut short keeps what it measured and phases split over several calls add up; at the end OUT gets five files:
# summary.md (the JSON lines as tables), results.jsonl, run.log, tests.xml (JUnit's report), phases.txt.
# --quick uses small shapes (a rehearsal on PoCL, with --peer-device cpu).
set -uo pipefail

die() { echo "device-run: $*" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

stage() {
    local out="" root
    root="$(cd "$HERE/../.." && pwd)"
    while [ $# -gt 0 ]; do
        case "$1" in
            --out) out="$2"; shift 2 ;;
            *) die "stage: unknown option $1" ;;
        esac
    done
    [ -n "$out" ] || die "stage: --out DIR"
    local cli="$root/tools/llm-cli/target"
    # the manifest's class path, not target/lib, which keeps the jar of an earlier build with the SDK
    unzip -p "$cli/llm-cli.jar" META-INF/MANIFEST.MF 2>/dev/null | tr -d '\r\n ' | grep -q llm-engine-tornado \
        || die "stage: tools/llm-cli was not built with the TornadoVM backend (build with TORNADOVM_HOME set)"
    [ -d "$root/libs/engine-tornado/target/test-classes" ] || die "stage: build libs/engine-tornado's tests first"
    local junit
    junit="$(ls ~/.m2/repository/org/junit/platform/junit-platform-console-standalone/6.0.3/*.jar 2>/dev/null | head -1)"
    [ -n "$junit" ] || die "stage: no junit-platform-console-standalone 6.0.3 in ~/.m2 (mvnw dependency:get it)"
    local icd
    icd="$(ls /usr/lib/x86_64-linux-gnu/libOpenCL.so.1* 2>/dev/null | head -1)"
    [ -n "$icd" ] || die "stage: no OpenCL ICD loader here (apt-get install ocl-icd-libopencl1)"
    rm -rf "$out" && mkdir -p "$out/lib" "$out/benchmarks/python" "$out/opencl"
    cp "$cli/llm-cli.jar" "$out/" && cp "$cli"/lib/*.jar "$out/lib/"
    cp -r "$root/libs/engine-tornado/target/test-classes" "$out/test-classes"
    cp "$junit" "$out/junit-console.jar"
    cp "$root/benchmarks/python/torch_bench.py" "$out/benchmarks/python/"
    cp "$icd" "$out/opencl/libOpenCL.so.1"
    cp "$0" "$out/device-run.sh"
    du -sh "$out" >&2
}

# --- run ---------------------------------------------------------------------------------------------

# OpenCL: the loader we carry; NVIDIA's driver library through the node's vendors folder, else our own.
opencl_env() {
    local suite="$1" out="$2"
    export LD_LIBRARY_PATH="$suite/opencl${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    if ! grep -qsl nvidia /etc/OpenCL/vendors/*.icd; then
        local lib
        lib="$(ls /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/lib64/libnvidia-opencl.so.1 /usr/local/nvidia/lib64/libnvidia-opencl.so.1 2>/dev/null | head -1)"
        if [ -n "$lib" ]; then
            mkdir -p "$out/vendors" && echo "$lib" > "$out/vendors/nvidia.icd"
            export OCL_ICD_VENDORS="$out/vendors"
        fi
    fi
}

# Runs a phase's command with a time limit, its output into OUT/PHASE.log and its JSON lines into OUT/PHASE.jsonl.
phase() {
    local name="$1" limit="$2"; shift 2
    echo "== $name (limit ${limit}s): $*" | tee -a "$OUT/$name.log"
    local t0=$SECONDS
    timeout "$limit" "$@" 2>&1 | tee -a "$OUT/$name.log" | grep '^{' >> "$OUT/$name.jsonl"
    local rc=${PIPESTATUS[0]}
    echo "== $name: exit $rc after $((SECONDS - t0)) s" | tee -a "$OUT/$name.log"
    echo "$name exit=$rc seconds=$((SECONDS - t0))" >> "$OUT/phases.txt"
}

# OUT/bin/llm-tornado and llm-cpu: the CLI with the TornadoVM runtime, and with ./llm's own flags for the CPU
# backend (its collector and loop shapes: the CPU side measured at its best).
write_launchers() {
    mkdir -p "$OUT/bin"
    cat > "$OUT/bin/llm-tornado" <<EOF
#!/usr/bin/env bash
exec "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector -XX:MaxDirectMemorySize=64g $TORNADO_FLAGS -Dllm.home="$SUITE" -Dllm.compute.tornado-memory=$ARENA -jar "$SUITE/llm-cli.jar" "\$@"
EOF
    cat > "$OUT/bin/llm-cpu" <<EOF
#!/usr/bin/env bash
exec "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector -XX:+UseSerialGC -XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000 -XX:ObjectAlignmentInBytes=64 -Xmn32m -Dllm.home="$SUITE" -jar "$SUITE/llm-cli.jar" "\$@"
EOF
    chmod +x "$OUT/bin/llm-tornado" "$OUT/bin/llm-cpu"
}

run() {
    local bundle="" only="env,tests,gemm,train,decode,compare" quick=0 peer=cuda
    OUT=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --bundle) bundle="$2"; shift 2 ;;
            --out) OUT="$2"; shift 2 ;;
            --only) only="$2"; shift 2 ;;
            --quick) quick=1; shift ;;
            --peer-device) peer="$2"; shift 2 ;;
            *) die "run: unknown option $1" ;;
        esac
    done
    [ -n "$bundle" ] && [ -n "$OUT" ] || die "run: --bundle DEST --out OUT"
    [ -x "$bundle/jdk/bin/java" ] || die "run: $bundle is not an unpacked bundle"
    bundle="$(cd "$bundle" && pwd)" && mkdir -p "$OUT" && RESULTS="$(cd "$OUT" && pwd)"
    OUT="${TMPDIR:-/tmp}/device-run" && mkdir -p "$OUT"
    trap collect EXIT
    SUITE="$bundle/extra/suite"
    [ -f "$SUITE/llm-cli.jar" ] || die "run: the bundle has no extra/suite (pack it with --add of a staged folder named suite)"
    export JAVA_HOME="$bundle/jdk" TORNADOVM_HOME="$bundle/tornadovm"
    export PATH="$JAVA_HOME/bin:$TORNADOVM_HOME/bin:$PATH"
    opencl_env "$SUITE" "$OUT"
    TORNADO_FLAGS="$(tornado --printJavaFlags 2>/dev/null)" || die "run: tornado --printJavaFlags failed"
    TORNADO_FLAGS="${TORNADO_FLAGS#* }"
    TORNADO_FLAGS="${TORNADO_FLAGS//--module-path .:/--module-path } -Dtornado.recover.bailout=false"
    # the first device (numbered across backends, as the suite numbers them) whose lines name NVIDIA, else 0
    DEVICE="$(tornado --devices 2>/dev/null | awk '/Tornado device=/{n++} /NVIDIA/{print n - 1; exit}')"
    DEVICE="${DEVICE:-0}"
    ARENA=8g
    local cores n preset batch context tokens
    cores="$(nproc)"
    local small=small small_context=256
    if [ "$quick" = 1 ]; then n=256; preset=tiny; batch=2; context=16; tokens=8; ARENA=1g; small=tiny; small_context=16
    else n=8192; preset=gpt2-124m; batch=8; context=1024; tokens=128; fi
    local peerargs=(--peer-device "$peer") cpuargs=(--backend cpu --threads "$cores" --no-peer)
    local gpuargs=(--backend tornado --device "$DEVICE" --json)
    write_launchers
    local gpu="$OUT/bin/llm-tornado" cpu="$OUT/bin/llm-cpu"

    for p in ${only//,/ }; do
        case "$p" in
            env)
                phase env 60 bash -c 'date -u; nvidia-smi || true; ls -l /etc/OpenCL/vendors 2>&1; cat /etc/OpenCL/vendors/*.icd 2>&1;
                    ls /usr/lib/x86_64-linux-gnu/ | grep -i -E "nvidia-opencl|libcuda|OpenCL" 2>&1; echo "OCL_ICD_VENDORS=${OCL_ICD_VENDORS:-}";
                    java -version 2>&1; tornado --devices; echo "device index used: '"$DEVICE"'"' ;;
            tests)
                phase tests 240 java $TORNADO_FLAGS -Xmx8g -Dllm.compute.device="$DEVICE" -Dllm.compute.tornado-memory=2g \
                    -cp "$SUITE/junit-console.jar:$SUITE/test-classes:$SUITE/lib/*" org.junit.platform.console.ConsoleLauncher \
                    execute --scan-class-path "$SUITE/test-classes" --reports-dir "$OUT/test-reports" --details=tree ;;
            gemm)
                phase gemm 150 "$gpu" bench gemm "${gpuargs[@]}" "${peerargs[@]}" --n "$n"
                phase gemm 90 "$gpu" bench gemm "${gpuargs[@]}" "${peerargs[@]}" --peer-tf32 --n "$n"
                phase gemm 120 "$cpu" bench gemm "${cpuargs[@]}" --json --n "$n" ;;
            train)
                phase train 240 "$gpu" bench train "${gpuargs[@]}" "${peerargs[@]}" --preset "$preset" --tied --batch "$batch" --context "$context" --steps 3
                phase train 120 "$gpu" bench train "${gpuargs[@]}" "${peerargs[@]}" --preset "$small" --batch 4 --context "$small_context" --steps 5
                phase train 180 "$cpu" bench train "${cpuargs[@]}" --json --preset "$preset" --tied --batch "$batch" --context "$context" --steps 1 ;;
            decode)
                phase decode 120 "$gpu" bench decode "${gpuargs[@]}" "${peerargs[@]}" --preset "$preset" --tokens "$tokens"
                phase decode 180 "$gpu" bench decode "${gpuargs[@]}" "${peerargs[@]}" --preset "$preset" --tokens "$tokens" --batch 32
                phase decode 120 "$cpu" bench decode "${cpuargs[@]}" --json --preset "$preset" --tokens "$tokens"
                phase decode 180 "$cpu" bench decode "${cpuargs[@]}" --json --preset "$preset" --tokens "$tokens" --batch 32 ;;
            compare)
                # 50 steps of GPT-2 124M (B=2, T=256, dropout on) on both backends, every loss compared
                local cmp=(bench train --json --no-peer --losses --preset "$preset" --tied --batch 2 --context "$([ "$quick" = 1 ] && echo 16 || echo 256)" --steps 50)
                phase compare 240 "$gpu" "${cmp[@]}" --backend tornado --device "$DEVICE"
                phase compare 240 "$cpu" "${cmp[@]}" --backend cpu --threads "$cores"
                python3 - "$OUT/compare.jsonl" <<'EOF' | tee -a "$OUT/compare.log"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"losses"' in l]
if len(rows) < 2:
    sys.exit("compare: fewer than two runs finished")
gpu, cpu = rows[-2]["losses"], rows[-1]["losses"]
worst = max(abs(a - b) for a, b in zip(gpu, cpu))
print(json.dumps({"bench": "compare", "steps": len(cpu), "first_loss": cpu[0], "last_loss": cpu[-1],
                  "largest_loss_difference": worst, "within_1e-3": worst <= 1e-3}))
EOF
                grep '"bench": "compare"' "$OUT/compare.log" >> "$OUT/compare.jsonl" ;;
            *) die "run: unknown phase $p" ;;
        esac
    done
}

# The work folder's results into RESULTS, as at most five files (what a device call brings back).
collect() {
    cat "$OUT"/*.jsonl > "$RESULTS/results.jsonl" 2>/dev/null
    cat "$OUT"/*.log > "$RESULTS/run.log" 2>/dev/null
    cp "$OUT/phases.txt" "$RESULTS/" 2>/dev/null
    cp "$OUT/test-reports/TEST-junit-jupiter.xml" "$RESULTS/tests.xml" 2>/dev/null
    python3 - "$OUT" <<'EOF' > "$RESULTS/summary.md"
import json, os, sys
out = sys.argv[1]
for name in ["gemm", "train", "decode", "compare"]:
    path = os.path.join(out, name + ".jsonl")
    if not os.path.exists(path):
        continue
    rows = [json.loads(l) for l in open(path) if l.startswith("{")]
    if not rows:
        continue
    keys = [k for k in dict.fromkeys(k for r in rows for k in r) if k != "losses"]
    print(f"\n## {name}\n\n| " + " | ".join(keys) + " |\n|" + " --- |" * len(keys))
    for r in rows:
        cells = [f"{r[k]:.4g}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys]
        print("| " + " | ".join(cells) + " |")
EOF
    cat "$OUT/phases.txt" 2>/dev/null
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    stage) stage "$@" ;;
    run) run "$@" ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
