#!/usr/bin/env bash
# ./tools/native-check/native-check.sh SERVICE — builds SERVICE as a native executable with the builder that
# assemble-builder.sh puts together (no GraalVM distribution needed), links it, and smoke-tests it against the
# embedded broker (NativeSmoke.java). NATIVE_REUSE_BUILD=1 links and tests the last build's object again.
# ./tools/native-check/native-check.sh SERVICE --jvm runs the same smoke test on the service's JVM jar (the figures
# the native ones are set beside); --jvm-aot runs it twice, the first run recording a JDK 25 ahead-of-time cache
# (JEP 483/514: classes loaded and linked, method profiles) that the second starts from.
# Verification only; the release path is ./mvnw -Pnative package with Mandrel
# or GraalVM (docs/native.md). Takes 5-15 minutes and about 8 GB on 2 cores.
set -euo pipefail
SERVICE="${1:?usage: native-check.sh SERVICE}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/native-check"
WORK="${NATIVE_WORK:-$ROOT/work/native-check}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"

smoke() {
  if [[ "$SERVICE" == inference-service && ! -f "$WORK/smoke-model/model.safetensors" ]]; then
    # the model the inference smoke test completes with: small, random, GPT-2 vocabulary
    "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector -jar "$ROOT/tools/llm-cli/target/llm-cli.jar" init \
      --preset small --tied --out "$WORK/smoke-model"
  fi
  echo "native-check: $SERVICE: smoke test against the embedded broker ($1) ..."
  "$JAVA_HOME/bin/java" -cp "$ROOT/tools/llm-cli/target/llm-cli.jar" "$HERE/NativeSmoke.java" "$SERVICE" "$2" "$ROOT"
}

# A script that runs the service's JVM jar with the services' own JVM options (quarkus.jib.jvm-additional-arguments),
# a fixed heap in place of the container's share, and these extra options.
jvm_runner() {
  local name="$1"; shift
  printf '#!/bin/sh\nexec "%s/bin/java" --add-modules=jdk.incubator.vector -Xmx%s %s "$@" -jar "%s"\n' \
    "$JAVA_HOME" "${NATIVE_JVM_HEAP:-1g}" "$*" "$JAR" > "$WORK/$SERVICE-jvm/$name"
  chmod +x "$WORK/$SERVICE-jvm/$name"
  echo "$WORK/$SERVICE-jvm/$name"
}

if [[ "${2:-}" == --jvm || "${2:-}" == --jvm-aot ]]; then
  JAR="$ROOT/$SERVICE/target/quarkus-app/quarkus-run.jar"
  [[ -f "$JAR" ]] || "$ROOT/mvnw" -q -B package -pl "$SERVICE" -am -DskipTests -Dfuzz.skip=true
  mkdir -p "$WORK/$SERVICE-jvm"
  if [[ "$2" == --jvm ]]; then
    smoke "the JVM" "$(jvm_runner run)"
  else
    rm -f "$WORK/$SERVICE-jvm/app.aot"
    smoke "the JVM, recording its AOT cache" "$(jvm_runner record -XX:AOTCacheOutput="$WORK/$SERVICE-jvm/app.aot")"
    smoke "the JVM with its AOT cache" "$(jvm_runner run-aot -XX:AOTCache="$WORK/$SERVICE-jvm/app.aot")"
  fi
  exit 0
fi

"$HERE/assemble-builder.sh" >/dev/null

OUT="$WORK/$SERVICE"
CLIBS="$WORK/home/lib/svm/clibraries/linux-amd64"

# Quarkus' native sources, translated (native-args.py), through the builder: an object file under $OUT/tmp. The
# builder ends with a failed link step (it wants the JDK's static libraries): expected.
build() {
  echo "native-check: $SERVICE: Quarkus native sources ..."
  "$ROOT/mvnw" -q -B package -pl "$SERVICE" -am -DskipTests -Dfuzz.skip=true -Dquarkus.native.enabled=true \
    -Dquarkus.native.sources-only=true -Dquarkus.package.jar.enabled=false
  rm -rf "$OUT"
  mkdir -p "$OUT/tmp"
  NAME="$(python3 "$HERE/native-args.py" "$ROOT/$SERVICE/target/native-sources" "$OUT")"
  mapfile -t JVM_ARGS < "$OUT/jvm.args"
  mapfile -t BUILDER_ARGS < "$OUT/builder.args"
  echo "native-check: $SERVICE: building $NAME (log: $OUT/build.log) ..."
  JVMCI_VERSION_CHECK=ignore "$WORK/home/bin/java" @"$HERE/kit/args/builder-jvm.args" @"$HERE/kit/args/exports-all.args" \
    @"$WORK/mp.args" "${JVM_ARGS[@]}" -Xmx"${NATIVE_BUILDER_HEAP:-6g}" -Dorg.graalvm.vendorversion=Mandrel-25.0.4.0-Final \
    --add-opens=java.base/java.lang=ALL-UNNAMED \
    --module org.graalvm.nativeimage.builder/com.oracle.svm.hosted.NativeImageGeneratorRunner "${BUILDER_ARGS[@]}" \
    -H:MicroArchitecture="${NATIVE_MARCH:-native}" -H:Path="$OUT" -H:CLibraryPath="$CLIBS" -H:TempDirectory="$OUT/tmp" -H:ImageBuildID="$(cat /proc/sys/kernel/random/uuid)" \
    > "$OUT/build.log" 2>&1 || true
}

if [[ "${NATIVE_REUSE_BUILD:-}" == 1 && -n "$(find "$OUT/tmp" -name '*.o' 2>/dev/null | head -1)" ]]; then
  echo "native-check: $SERVICE: reusing the builder's object file in $OUT/tmp (NATIVE_REUSE_BUILD=1)"
  NAME="$(basename "$(find "$OUT/tmp" -name '*.o' | head -1)" .o)"
else
  build
fi
OBJ="$(find "$OUT/tmp" -name "$NAME.o" | head -1)"
if [[ -z "$OBJ" ]]; then
  tail -40 "$OUT/build.log"
  echo "native-check: $SERVICE: the builder made no object file (see $OUT/build.log)" >&2
  exit 1
fi

echo "native-check: $SERVICE: linking (the builder's own link step needs the JDK's static libraries, absent here) ..."
JDK="$JAVA_HOME"
( cd "$(dirname "$OBJ")" && gcc -z noexecstack -z text -Wl,--gc-sections -Wl,--version-script,exported_symbols.list \
    -o "$OUT/$NAME" "$NAME.o" "$WORK/svmstubs.o" "$CLIBS/liblibchelper.a" "$CLIBS/libjvm.a" -L"$JDK/lib" \
    -ljava -lnio -lnet -lzip -lextnet -ljaas -lmanagement_ext -Wl,--disable-new-dtags -Wl,-rpath,"$JDK/lib:$JDK/lib/server" \
    -Wl,-rpath-link,"$JDK/lib/server" -Wl,--export-dynamic -lz -ldl -lpthread -lrt )
ls -la "$OUT/$NAME"

smoke "native" "$OUT/$NAME"
