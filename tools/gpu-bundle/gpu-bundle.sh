#!/usr/bin/env bash
# Packs an installed TornadoVM SDK and a jlink'ed JDK 25 runtime into checksummed, compressed parts of at most a
# given size, for GPU nodes that cannot download anything (air-gapped nodes, init containers, a device reached by
# a tool that carries at most so much per call); unpacks and checks them there. It packages what a user
# installed: it never builds TornadoVM and holds none of it.
#
#   gpu-bundle.sh pack   --out DIR [--part-size 60m] [--tornado DIR] [--jdk DIR] [--modules LIST] [--add PATH]...
#   gpu-bundle.sh unpack --in DIR --to DEST          # verifies every part's SHA-256 first
#   gpu-bundle.sh check  --in DEST [--run CMD]       # java -version, tornado --devices, then CMD with the bundle's env
#   gpu-bundle.sh env    --in DEST                   # prints the exports that put the bundle's JDK and SDK in use
#
# --tornado defaults to $TORNADOVM_HOME, --jdk to $JAVA_HOME. --add copies a file or folder into the bundle under
# extra/ (the suite's jars, a device script). The known-answer kernel is the suite's own (KnownAnswerCheck, run
# whenever a TornadoVM backend starts): pass it as --run, e.g. --run "./llm bench gemm --backend tornado --n 256".
set -euo pipefail

# The modules the services, the CLI and TornadoVM (JVMCI) need; --modules replaces the list.
MODULES="java.se,jdk.incubator.vector,jdk.unsupported,jdk.internal.vm.ci,jdk.management,jdk.management.agent,jdk.jfr,jdk.management.jfr,jdk.zipfs,jdk.naming.dns,jdk.crypto.cryptoki,jdk.httpserver,jdk.net,jdk.localedata,jdk.charsets,jdk.attach,jdk.jdwp.agent"

die() { echo "gpu-bundle: $*" >&2; exit 2; }

pack() {
    local out="" part="60m" tornado="${TORNADOVM_HOME:-}" jdk="${JAVA_HOME:-}" modules="$MODULES"
    local -a adds=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --out) out="$2"; shift 2 ;;
            --part-size) part="$2"; shift 2 ;;
            --tornado) tornado="$2"; shift 2 ;;
            --jdk) jdk="$2"; shift 2 ;;
            --modules) modules="$2"; shift 2 ;;
            --add) adds+=("$2"); shift 2 ;;
            *) die "pack: unknown option $1" ;;
        esac
    done
    [ -n "$out" ] || die "pack: --out DIR is required"
    [ -n "$tornado" ] && [ -x "$tornado/bin/tornado" ] || die "pack: no TornadoVM SDK (--tornado or TORNADOVM_HOME: a folder with bin/tornado)"
    [ -n "$jdk" ] && [ -x "$jdk/bin/jlink" ] || die "pack: no JDK with jlink (--jdk or JAVA_HOME)"
    "$jdk/bin/java" -version 2>&1 | grep -q 'version "25' || die "pack: $jdk is not a JDK 25"
    [[ "$part" =~ ^[0-9]+[kmg]?$ ]] || die "pack: --part-size is a number with k, m or g"
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
    local work="$WORK"
    mkdir -p "$work/bundle/extra" "$out"
    rm -f "$out"/bundle.part-* "$out"/MANIFEST*
    echo "gpu-bundle: jlink $modules" >&2
    "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --output "$work/bundle/jdk"
    echo "gpu-bundle: copying the SDK from $tornado" >&2
    cp -a "$tornado/." "$work/bundle/tornadovm/"
    for a in "${adds[@]}"; do cp -a "$a" "$work/bundle/extra/"; done
    {
        echo "created: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "jdk: $("$jdk/bin/java" -version 2>&1 | head -1)"
        echo "modules: $modules"
        echo "tornadovm: $(cat "$tornado/etc/tornado.release" 2>/dev/null || basename "$(readlink -f "$tornado")")"
        echo "extra: ${adds[*]:-none}"
    } > "$work/bundle/BUNDLE"
    echo "gpu-bundle: compressing (xz) into parts of at most $part" >&2
    tar -C "$work/bundle" -cf - . | xz -T0 -6 | split -b "$part" -d -a 3 - "$out/bundle.part-"
    cp "$work/bundle/BUNDLE" "$out/MANIFEST"
    (cd "$out" && sha256sum bundle.part-* > MANIFEST.sha256)
    cp "$0" "$out/gpu-bundle.sh"
    ls -l "$out" >&2
}

unpack() {
    local in="" to=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --in) in="$2"; shift 2 ;;
            --to) to="$2"; shift 2 ;;
            *) die "unpack: unknown option $1" ;;
        esac
    done
    [ -n "$in" ] && [ -n "$to" ] || die "unpack: --in DIR --to DEST"
    [ -f "$in/MANIFEST.sha256" ] || die "unpack: $in has no MANIFEST.sha256"
    local listed present
    listed="$(awk '{print $2}' "$in/MANIFEST.sha256" | sort | tr '\n' ' ')"
    present="$(cd "$in" && ls bundle.part-* | sort | tr '\n' ' ')"
    [ "$listed" = "$present" ] || die "unpack: the parts in $in are not the ones the manifest lists (listed: $listed; present: $present)"
    (cd "$in" && sha256sum --quiet -c MANIFEST.sha256) || die "unpack: a part does not match its checksum; nothing was unpacked"
    mkdir -p "$to"
    cat "$in"/bundle.part-* | xz -d | tar -C "$to" -xf -
    echo "gpu-bundle: unpacked into $to" >&2
}

envs() {
    local dest="$1"
    echo "export JAVA_HOME=$dest/jdk"
    echo "export TORNADOVM_HOME=$dest/tornadovm"
    echo "export PATH=$dest/jdk/bin:$dest/tornadovm/bin:\$PATH"
}

check() {
    local in="" run=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --in) in="$2"; shift 2 ;;
            --run) run="$2"; shift 2 ;;
            *) die "check: unknown option $1" ;;
        esac
    done
    [ -n "$in" ] && [ -x "$in/jdk/bin/java" ] && [ -x "$in/tornadovm/bin/tornado" ] || die "check: $in is not an unpacked bundle"
    in="$(cd "$in" && pwd)"
    eval "$(envs "$in")"
    echo "== java -version"
    java -version 2>&1
    echo "== tornado --devices"
    tornado --devices
    if [ -n "$run" ]; then
        echo "== $run"
        bash -c "$run"
    fi
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    pack) pack "$@" ;;
    unpack) unpack "$@" ;;
    check) check "$@" ;;
    env) [ "${1:-}" = "--in" ] && [ -n "${2:-}" ] || die "env --in DEST"; envs "$(cd "$2" && pwd)" ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
