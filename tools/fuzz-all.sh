#!/usr/bin/env bash
# Fuzzes every parser target in turn (docs/fuzzing.md) and prints a table: executions, coverage, findings.
# Usage: tools/fuzz-all.sh [DURATION per target, default 2m]. Needs ./mvnw install -DskipTests first.
set -uo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-2m}"
if [[ -z "${JAVA_HOME:-}" || ! "$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)" =~ \"25 ]]; then
  for d in /usr/lib/jvm/*25*; do [[ -x "$d/bin/java" ]] && export JAVA_HOME="$d" && break; done
fi
TARGETS=(
  "libs/engine FileParsersFuzzTest#safetensorsFiles"
  "libs/engine FileParsersFuzzTest#checkpointConfigs"
  "libs/engine FileParsersFuzzTest#adapterFiles"
  "libs/engine FileParsersFuzzTest#ggufFiles"
  "libs/engine FileParsersFuzzTest#torchBinFiles"
  "libs/engine FileParsersFuzzTest#tfCheckpoints"
  "libs/engine FileParsersFuzzTest#llamaConfigs"
  "libs/engine FileParsersFuzzTest#json"
  "libs/records RecordDecodersFuzzTest#trainingBatches"
  "libs/records RecordDecodersFuzzTest#tokenChunks"
  "libs/records RecordDecodersFuzzTest#documents"
  "libs/tokenizer TokenizerInputsFuzzTest#decodingIds"
  "libs/tokenizer TokenizerInputsFuzzTest#encodingAndBack"
  "libs/tokenizer TokenizerInputsFuzzTest#tiktokenFiles"
  "libs/tokenizer TokenizerInputsFuzzTest#hfTokenizerFiles"
)
printf '| target | duration | executions | exec/s | coverage (edges) | result |\n| --- | --- | ---: | ---: | ---: | --- |\n'
for t in "${TARGETS[@]}"; do
  module="${t%% *}"; test="${t#* }"
  log="$(mktemp)"
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="$DURATION" ./mvnw -q -o test -Dfuzz.skip=true -pl "$module" -Dtest="$test" >"$log" 2>&1
  rc=$?
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)"
  execs="$(sed -E 's/^#([0-9]+).*/\1/' <<<"$done_line")"
  rate="$(sed -E 's/.*exec\/s: ([0-9]+).*/\1/' <<<"$done_line")"
  cov="$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$done_line")"
  result="no finding"; [[ $rc -ne 0 ]] && result="FINDING or failure: see $log"
  printf '| %s | %s | %s | %s | %s | %s |\n' "$test" "$DURATION" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$result"
done
