#!/usr/bin/env bash
# Assembles a native-image builder without a GraalVM distribution (docs/native.md): SubstrateVM's jars from the
# Maven registry, a copy of Temurin 25 as its "GraalVM home", SubstrateVM's C helper archives (21.1.0, the only
# ones served) and the small C stand-ins in kit/. Idempotent; everything goes under $NATIVE_WORK. A verification
# tool only: the executables it makes load Temurin's shared libraries at run time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KIT="$ROOT/tools/native-check/kit"
WORK="${NATIVE_WORK:-$ROOT/work/native-check}"
JDK="${JAVA_HOME:?set JAVA_HOME to a Temurin 25}"
SVM=25.0.4
REPO="${MAVEN_REPO:-$HOME/.m2/repository}"
mkdir -p "$WORK/jars"

# 1. The builder's jars (svm brings the others as dependencies), and the C helper archives.
"$ROOT/mvnw" -q -B dependency:get -Dartifact="org.graalvm.nativeimage:svm:$SVM" >/dev/null
"$ROOT/mvnw" -q -B dependency:get -Dartifact="org.graalvm.nativeimage:svm-hosted-native-linux-amd64:21.1.0:tar.gz" >/dev/null
for jar in nativeimage/svm nativeimage/pointsto nativeimage/objectfile nativeimage/native-image-base nativeimage/svm-configure \
           nativeimage/svm-capnproto-runtime compiler/compiler truffle/truffle-compiler espresso/espresso-svm sdk/nativeimage \
           sdk/word sdk/collections sdk/nativeimage-libgraal; do
  name="${jar#*/}"
  cp -u "$REPO/org/graalvm/$jar/$SVM/$name-$SVM.jar" "$WORK/jars/"
done
sed "s#\${KIT_JARS}#$WORK/jars#g" "$KIT/args/mp.args.template" > "$WORK/mp.args"

# 2. The "GraalVM home": Temurin 25 plus what the builder looks for.
HOME_DIR="$WORK/home"
if [[ ! -f "$HOME_DIR/.assembled" ]]; then
  rm -rf "$HOME_DIR"
  cp -a "$JDK" "$HOME_DIR"
  mkdir -p "$HOME_DIR/lib/svm/builder/lib" "$HOME_DIR/lib/static/linux-amd64/glibc" "$HOME_DIR/lib/svm/clibraries/linux-amd64/include"
  gcc -shared -fPIC -O2 -I"$JDK/include" -I"$JDK/include/linux" -o "$HOME_DIR/lib/svm/builder/lib/libreporterchelper.so" "$KIT/reporterchelper.c"
  for lib in java nio net zip; do ar rc "$HOME_DIR/lib/static/linux-amd64/glibc/lib$lib.a"; done # the builder only checks they exist
  tar -xzf "$REPO/org/graalvm/nativeimage/svm-hosted-native-linux-amd64/21.1.0/svm-hosted-native-linux-amd64-21.1.0.tar.gz" \
      -C "$WORK" 
  cp "$(find "$WORK" -name libjvm.a -path '*linux-amd64*' | head -1)" "$(find "$WORK" -name liblibchelper.a -path '*linux-amd64*' | head -1)" \
     "$HOME_DIR/lib/svm/clibraries/linux-amd64/"
  cp "$KIT"/include/*.h "$JDK/include/jni.h" "$JDK/include/linux/jni_md.h" "$HOME_DIR/lib/svm/clibraries/linux-amd64/include/"
  touch "$HOME_DIR/.assembled"
fi

# 3. The stand-ins for the helper symbols the old archives lack.
gcc -c -O2 -fPIC -I"$KIT/include" -I"$JDK/include" -I"$JDK/include/linux" -o "$WORK/svmstubs.o" "$KIT/svmstubs.c"
echo "$WORK"
