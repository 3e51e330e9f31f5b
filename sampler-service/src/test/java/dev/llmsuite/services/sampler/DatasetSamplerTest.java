package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.TrainingBatch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampling semantics, through the real topology and stores ({@link SamplingDriver}). */
class DatasetSamplerTest {

    static SamplingSpec spec(int l, int stride, int b, double train, int shuffle, boolean dropLast, boolean dedup) {
        return new SamplingSpec(l, stride, b, train, 7L, 2, shuffle, dropLast, dedup, false);
    }

    static int[] range(int from, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = from + i;
        return a;
    }

    @Test
    void theBooksVerdictSettingGivesNineTrainAndOneValidationBatch() {
        // 5,145 tokens, L = stride = 256, B = 2, 90/10: 20 windows, every 10th validates
        try (SamplingDriver d = new SamplingDriver().spec("d", new SamplingSpec(256, 256, 2, 0.9, 123L, 1, 1, true, false, false))) {
            List<TrainingBatch> out = new ArrayList<>(d.feed("d", "verdict", range(0, 5145), 1000));
            out.addAll(d.runToEnd("d"));
            assertEquals(9, out.stream().filter(b -> b.split() == Split.TRAIN).count());
            assertEquals(1, out.stream().filter(b -> b.split() == Split.VALIDATION).count());
            assertEquals(SamplingStatus.State.DONE, d.status("d").state());
        }
    }

    @Test
    void shufflingIsSeededPerEpochAndEveryEpochSeesTheSameWindows() {
        int[] ids = range(100, 81); // 20 windows
        List<TrainingBatch> all;
        try (SamplingDriver d = new SamplingDriver().spec("d", spec(4, 4, 1, 1.0, 8, true, false))) {
            all = new ArrayList<>(d.feed("d", "a", ids, 13));
            all.addAll(d.runToEnd("d"));
        }
        List<TrainingBatch> e0 = all.stream().filter(b -> b.epoch() == 0).toList(), e1 = all.stream().filter(b -> b.epoch() == 1).toList();
        assertEquals(20, e0.size());
        assertEquals(20, e1.size());
        List<Integer> first0 = e0.stream().map(b -> b.inputs()[0]).toList(), first1 = e1.stream().map(b -> b.inputs()[0]).toList();
        assertNotEquals(first0, first1, "reshuffled every epoch");
        assertEquals(first0.stream().sorted().toList(), first1.stream().sorted().toList(), "the same windows");
        assertNotEquals(first0.stream().sorted().toList(), first0, "shuffled at all");
        try (SamplingDriver again = new SamplingDriver().spec("d", spec(4, 4, 1, 1.0, 8, true, false))) {
            List<TrainingBatch> r = new ArrayList<>(again.feed("d", "a", ids, 5));
            r.addAll(again.runToEnd("d"));
            assertEquals(first0, r.stream().filter(b -> b.epoch() == 0).map(b -> b.inputs()[0]).toList(),
                    "the same seed, the same order, whatever the chunking");
        }
    }

    @Test
    void documentsDoNotInterleaveAndDuplicatesAreDropped() {
        try (SamplingDriver d = new SamplingDriver().spec("d", spec(3, 3, 1, 1.0, 1, true, true))) {
            List<TrainingBatch> out = new ArrayList<>();
            // chunks of two documents arrive interleaved; each document enters the stream whole
            out.addAll(d.chunk(new TokenChunk("d", "x", 0, false, "h", new int[] {1, 2, 3})));
            out.addAll(d.chunk(new TokenChunk("d", "y", 0, false, "h", new int[] {9, 9, 9})));
            out.addAll(d.chunk(new TokenChunk("d", "x", 1, true, "h", new int[] {4, 5, 6, 7})));
            out.addAll(d.chunk(new TokenChunk("d", "y", 1, true, "h", new int[] {8, 8, 8, 8})));
            assertArrayEquals(new int[] {1, 2, 3}, out.get(0).inputs());
            assertArrayEquals(new int[] {4, 5, 6}, out.get(1).inputs());
            assertArrayEquals(new int[] {7, 9, 9}, out.get(2).inputs(), "y follows x, whole");
            // an exact copy of x and a near copy of a long document are dropped
            int[] longDoc = new Random(1).ints(400, 0, 50000).toArray();
            int[] nearCopy = longDoc.clone();
            nearCopy[200] = 7; // one token changed: ~99% of shingles shared
            d.feed("d", "long", longDoc, 100);
            d.feed("d", "x-again", new int[] {1, 2, 3, 4, 5, 6, 7}, 100);
            d.feed("d", "near", nearCopy, 100);
            d.feed("d", "other", new Random(2).ints(400, 0, 50000).toArray(), 100);
            var st = d.status("d");
            assertEquals(1L, (long) st.exactDuplicates());
            assertEquals(1L, (long) st.nearDuplicates());
            assertEquals(4L, (long) st.documents(), "x, y, long, other");
        }
    }

    @Test
    void withoutDropLastTheTailIsPaddedAndTheShortBatchKept() {
        try (SamplingDriver d = new SamplingDriver().spec("d", new SamplingSpec(4, 4, 2, 1.0, 1L, 1, 1, false, false, false))) {
            List<TrainingBatch> out = new ArrayList<>(d.feed("d", "a", range(10, 11), 100)); // windows at 0, 4; tail 8..10
            assertEquals(1, out.size());
            out.addAll(d.runToEnd("d"));
            assertEquals(2, out.size());
            TrainingBatch last = out.get(1);
            assertEquals(1, last.batchSize());
            assertArrayEquals(new int[] {18, 19, 50256, 50256}, last.inputs());
            assertArrayEquals(new int[] {19, 20, -100, -100}, last.targets());
        }
    }

    @Test
    void packedWindowsCarryEachTokensDocumentStart() {
        try (SamplingDriver d = new SamplingDriver().spec("d", new SamplingSpec(4, 2, 1, 1.0, 1L, 1, 1, true, false, true))) {
            List<TrainingBatch> out = new ArrayList<>();
            out.addAll(d.feed("d", "a", new int[] {1, 2, 3}, 100));
            out.addAll(d.feed("d", "b", new int[] {4, 5, 6, 7, 8}, 100));
            out.addAll(d.feed("d", "c", new int[] {9, 10, 11}, 100));
            // windows at 0, 2, 4, 6 over 1..11
            assertEquals(4, out.size());
            assertArrayEquals(new int[] {1, 2, 3, 4}, out.get(0).inputs());
            assertArrayEquals(new int[] {0, 0, 0, 3}, out.get(0).documentStarts());
            assertArrayEquals(new int[] {3, 4, 5, 6}, out.get(1).inputs());
            assertArrayEquals(new int[] {0, 1, 1, 1}, out.get(1).documentStarts());
            assertArrayEquals(new int[] {5, 6, 7, 8}, out.get(2).inputs());
            assertArrayEquals(new int[] {0, 0, 0, 0}, out.get(2).documentStarts(), "all of b, which began before the window");
            assertArrayEquals(new int[] {7, 8, 9, 10}, out.get(3).inputs());
            assertArrayEquals(new int[] {0, 0, 2, 2}, out.get(3).documentStarts());
        }
        try (SamplingDriver plain = new SamplingDriver().spec("d", new SamplingSpec(4, 2, 1, 1.0, 1L, 1, 1, true, false, false))) {
            assertNull(plain.feed("d", "a", new int[] {1, 2, 3, 4, 5}, 100).get(0).documentStarts());
        }
    }

    @Test
    void aDocumentTokenizedAgainIsIgnoredWhateverTheDedupSetting() {
        try (SamplingDriver d = new SamplingDriver().spec("d", spec(3, 3, 1, 1.0, 1, true, false))) {
            assertEquals(2, d.feed("d", "a", range(1, 7), 4).size());
            // a tokenizer that restarted before committing sends a's chunks again
            assertEquals(0, d.feed("d", "a", range(1, 7), 4).size());
            assertEquals(2, d.feed("d", "b", range(1, 7), 4).size(), "the same text under another id is a document of its own");
            var st = d.status("d");
            assertEquals(2L, (long) st.documents());
            assertEquals(1L, (long) st.documentsSeenAgain());
        }
    }

    @Test
    void theSplitRuleGivesTheAskedShare() {
        SamplingSpec s = spec(4, 4, 1, 0.9, 1, true, false);
        long val = LongStream.range(0, 1000).filter(s::validates).count();
        assertEquals(100, val);
        assertTrue(s.validates(9) && !s.validates(8) && !s.validates(0));
        assertFalse(spec(4, 4, 1, 1.0, 1, true, false).validates(9));
    }

    @Test
    void aDatasetsMemoryIsBoundedWhateverItsDocumentsAndDedupState() {
        long budget = 4 << 20; // a quarter, 1 MiB, for one document's tokens and windows; a quarter for dedup
        try (SamplingDriver d = new SamplingDriver(budget).spec("d", new SamplingSpec(64, 1, 1, 1.0, 1L, 1, 1, true, true, false))) {
            // gathering: a document that never ends cannot hold more than its quarter
            d.chunk(new TokenChunk("d", "endless", 0, false, "h", new int[300_000]));
            String gathering = reason(d.deadLetters().getFirst());
            assertTrue(gathering.contains("open documents"), gathering);
            assertEquals(0, (int) d.status("d").openDocuments(), "the document was let go");
            // windows: 5,000 tokens at stride 1 make 4,936 windows of 512 bytes, 2.4 MiB at once
            d.feed("d", "wide", range(0, 5000), 5000);
            String windows = reason(d.deadLetters().getFirst());
            assertTrue(windows.contains("windows at stride 1"), windows);
            assertEquals(36, d.feed("d", "fits", range(0, 100), 100).size(), "a document within the budget is sampled");
        }
        // dedup remembers at most its quarter's worth of documents, then only compares with those
        try (SamplingDriver many = new SamplingDriver(4 * 3 * Deduplicator.BYTES_PER_DOCUMENT)
                .spec("d", new SamplingSpec(4, 4, 1, 1.0, 1L, 1, 1, true, true, false))) {
            for (int doc = 0; doc < 5; doc++) many.feed("d", "doc" + doc, range(1000 * doc, 9), 9);
            assertTrue(many.status("d").dedupFull());
            many.feed("d", "again0", range(0, 9), 9);    // remembered: still a duplicate
            many.feed("d", "again4", range(4000, 9), 9); // beyond the budget: not remembered, sampled again
            assertEquals(1L, (long) many.status("d").exactDuplicates());
            assertEquals(6L, (long) many.status("d").documents());
        }
    }

    static String reason(TestRecord<String, byte[]> deadLetter) {
        return new String(deadLetter.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8);
    }

    @Test
    void aStoredSpecIsCheckedLikeAPostedOne() {
        long budget = 16 << 20;
        new SamplingSpec(256, 256, 8, 0.9, 1L, 1, 1000, true, true, false).check(budget);
        for (SamplingSpec bad : List.of(new SamplingSpec(65536, 1, 8, 0.9, 1L, 1, 1_000_000, true, true, false),
                new SamplingSpec(-1, 1, 8, 0.9, 1L, 1, 1, true, true, false),
                new SamplingSpec(null, 1, 8, 0.9, 1L, 1, 1, true, true, false),
                new SamplingSpec(4, 1, 8, Double.NaN, 1L, 1, 1, true, true, false),
                new SamplingSpec(1_048_576, 1, 4096, 0.9, 1L, 1, 1, true, true, false))) {
            long allowed = bad.maxLength() != null && bad.maxLength() == 1_048_576 ? Long.MAX_VALUE : budget; // the batch cap alone
            assertThrows(IllegalArgumentException.class, () -> bad.check(allowed), bad.toString());
        }
    }
}
