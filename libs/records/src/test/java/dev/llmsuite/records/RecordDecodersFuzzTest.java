package dev.llmsuite.records;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.function.Function;

/**
 * Coverage-guided fuzzing (Jazzer) of the binary record decoders: anyone who can write to a topic can
 * send any bytes. A decoder may only refuse with MalformedRecordException (or IllegalArgumentException from
 * a record's own checks); any other exception or Error is a finding. Seeds: the committed inputs under
 * src/test/resources/.../RecordDecodersFuzzTestInputs; {@code JAZZER_FUZZ=1} fuzzes (docs/fuzzing.md).
 */
class RecordDecodersFuzzTest {

    private static void decode(FuzzedDataProvider data, Function<byte[], ?> decoder) {
        try {
            decoder.apply(data.consumeRemainingAsBytes());
        } catch (MalformedRecordException | IllegalArgumentException refused) {
            // said so, with a reason for the dead letter
        }
    }

    @FuzzTest(maxDuration = "10s")
    void trainingBatches(FuzzedDataProvider data) {
        decode(data, TrainingBatch::decode);
    }

    @FuzzTest(maxDuration = "10s")
    void tokenChunks(FuzzedDataProvider data) {
        decode(data, TokenChunk::decode);
    }

    @FuzzTest(maxDuration = "10s")
    void documents(FuzzedDataProvider data) {
        decode(data, DocumentRecord::decode);
    }
}
