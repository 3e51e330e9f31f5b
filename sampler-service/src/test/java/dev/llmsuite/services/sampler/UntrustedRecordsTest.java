package dev.llmsuite.services.sampler;

import dev.llmsuite.records.TokenChunk;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Records from anyone who can write corpus.tokens or sampling.specs: each is refused with its reason (a dead letter,
 * or a failed dataset whose status says why), and every other dataset is sampled on.
 */
class UntrustedRecordsTest {

    @Test
    void chunksThatCannotBeUsedAreDeadLetteredWithTheirReason() {
        try (SamplingDriver d = new SamplingDriver().spec("ok", new SamplingSpec(4, 4, 1, 1.0, 1L, 1, 1, true, false, false))) {
            d.record("ok", "not a chunk".getBytes(StandardCharsets.UTF_8));
            d.record("elsewhere", new TokenChunk("ok", "a", 0, true, "h", new int[] {1, 2, 3}).encode());
            d.record("../x", new TokenChunk("../x", "a", 0, true, "h", new int[] {1, 2, 3}).encode());
            d.record("ok", new TokenChunk("ok", "a", 0, true, "h".repeat(300), new int[] {1, 2, 3}).encode());
            List<String> reasons = d.deadLetters().stream().map(DatasetSamplerTest::reason).toList();
            assertEquals(4, reasons.size(), reasons.toString());
            assertTrue(reasons.get(0).contains("not a token chunk"), reasons.get(0));
            assertTrue(reasons.get(1).contains("must be keyed by its dataset"), reasons.get(1));
            assertTrue(reasons.get(2).contains("dataset id must be"), reasons.get(2));
            assertTrue(reasons.get(3).contains("vocabulary hash over 256"), reasons.get(3));

            assertEquals(2, d.feed("ok", "b", DatasetSamplerTest.range(1, 9), 9).size(), "the dataset is sampled on");
            d.runToEnd("ok");
            d.feed("ok", "late", DatasetSamplerTest.range(1, 9), 9);
            String late = DatasetSamplerTest.reason(d.deadLetters().getFirst());
            assertTrue(late.contains("has been sampled"), late);
        }
    }

    @Test
    void aSpecRecordThatIsNoSpecOrOverTheBudgetFailsItsDatasetOnly() {
        try (SamplingDriver d = new SamplingDriver(16 << 20)) {
            d.specBytes("garbage", "{not a spec".getBytes(StandardCharsets.UTF_8));
            d.specBytes("greedy", ("{\"maxLength\": 65536, \"stride\": 1, \"batchSize\": 8, \"trainFraction\": 0.9, \"seed\": 1,"
                    + " \"epochs\": 1, \"shuffleBuffer\": 1000000, \"dropLast\": true, \"dedup\": true, \"pack\": false}")
                    .getBytes(StandardCharsets.UTF_8));
            d.specBytes("partial", "{\"maxLength\": 4}".getBytes(StandardCharsets.UTF_8));
            d.specBytes("../up", "{}".getBytes(StandardCharsets.UTF_8));
            assertEquals(SamplingStatus.State.FAILED, d.status("garbage").state());
            assertTrue(d.status("garbage").reason().contains("unusable"), d.status("garbage").reason());
            assertTrue(d.status("greedy").reason().contains("llm.sampler.max-dataset-bytes"), d.status("greedy").reason());
            assertTrue(d.status("partial").reason().contains("every field resolved"), d.status("partial").reason());
            assertEquals(null, d.status("../up"), "an id that is no name is not stored");

            d.feed("greedy", "a", new int[25], 25);
            String reason = DatasetSamplerTest.reason(d.deadLetters().getFirst());
            assertTrue(reason.contains("greedy failed"), reason);
            d.feed("fine", "a", new int[300], 300);
            assertEquals(1L, (long) d.status("fine").documents(), "another dataset is sampled, with the defaults");
            assertEquals(256, d.status("fine").spec().maxLength());
        }
    }

    @Test
    void aSpecForADatasetAlreadySamplingIsIgnored() {
        try (SamplingDriver d = new SamplingDriver()) {
            d.feed("busy", "a", new int[300], 300);
            d.spec("busy", new SamplingSpec(4, 4, 1, 1.0, 1L, 1, 1, true, false, false));
            assertEquals(256, d.status("busy").spec().maxLength(), "the spec it started with");
        }
    }
}
