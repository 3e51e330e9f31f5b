package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.TrainingBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetSamplerTest {

    static SamplingSpec spec(int l, int stride, int b, double train, int shuffle, boolean dropLast, boolean dedup) {
        return new SamplingSpec(l, stride, b, train, 7L, 2, shuffle, dropLast, dedup, false);
    }

    static int[] range(int from, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = from + i;
        return a;
    }

    /** The next offset on the simulated token topic (one partition): offsets only grow, as on Kafka. */
    private static long nextOffset;

    private static List<TrainingBatch> feed(DatasetSampler s, String doc, int[] ids, int chunk, boolean replay) {
        List<TrainingBatch> out = new ArrayList<>();
        for (int i = 0, seq = 0; i < ids.length; i += chunk, seq++) {
            int[] part = Arrays.copyOfRange(ids, i, Math.min(ids.length, i + chunk));
            out.addAll(s.onChunk(new TokenChunk("d", doc, seq, i + chunk >= ids.length, "h", part), 0, nextOffset++, replay));
        }
        return out;
    }

    @Test
    void theBooksVerdictSettingGivesNineTrainAndOneValidationBatch() {
        // 5,145 tokens, L = stride = 256, B = 2, 90/10: 20 windows, every 10th validates
        DatasetSampler s = new DatasetSampler("d", new SamplingSpec(256, 256, 2, 0.9, 123L, 1, 1, true, false, false));
        List<TrainingBatch> out = new ArrayList<>(feed(s, "verdict", range(0, 5145), 1000, false));
        out.addAll(s.endEpoch());
        assertEquals(9, out.stream().filter(b -> b.split() == Split.TRAIN).count());
        assertEquals(1, out.stream().filter(b -> b.split() == Split.VALIDATION).count());
        assertTrue(s.done());
    }

    @Test
    void shufflingIsSeededPerEpochAndEveryEpochSeesTheSameWindows() {
        DatasetSampler s = new DatasetSampler("d", spec(4, 4, 1, 1.0, 8, true, false));
        int[] ids = range(100, 81); // 20 windows
        List<TrainingBatch> e0 = new ArrayList<>(feed(s, "a", ids, 13, false));
        e0.addAll(s.endEpoch());
        List<TrainingBatch> e1 = new ArrayList<>(feed(s, "a", ids, 13, true));
        e1.addAll(s.endEpoch());
        assertEquals(20, e0.size());
        assertEquals(20, e1.size());
        assertTrue(e0.stream().allMatch(b -> b.epoch() == 0) && e1.stream().allMatch(b -> b.epoch() == 1));
        List<Integer> first0 = e0.stream().map(b -> b.inputs()[0]).toList(), first1 = e1.stream().map(b -> b.inputs()[0]).toList();
        assertNotEquals(first0, first1, "reshuffled every epoch");
        assertEquals(first0.stream().sorted().toList(), first1.stream().sorted().toList(), "the same windows");
        assertNotEquals(first0.stream().sorted().toList(), first0, "shuffled at all");
        DatasetSampler again = new DatasetSampler("d", spec(4, 4, 1, 1.0, 8, true, false));
        List<TrainingBatch> r0 = new ArrayList<>(feed(again, "a", ids, 5, false));
        r0.addAll(again.endEpoch());
        assertEquals(first0, r0.stream().map(b -> b.inputs()[0]).toList(), "the same seed, the same order, whatever the chunking");
    }

    @Test
    void documentsDoNotInterleaveAndDuplicatesAreDropped() {
        DatasetSampler s = new DatasetSampler("d", spec(3, 3, 1, 1.0, 1, true, true));
        List<TrainingBatch> out = new ArrayList<>();
        // chunks of two documents arrive interleaved; each document enters the stream whole
        out.addAll(s.onChunk(new TokenChunk("d", "x", 0, false, "h", new int[] {1, 2, 3}), 0, nextOffset++, false));
        out.addAll(s.onChunk(new TokenChunk("d", "y", 0, false, "h", new int[] {9, 9, 9}), 0, nextOffset++, false));
        out.addAll(s.onChunk(new TokenChunk("d", "x", 1, true, "h", new int[] {4, 5, 6, 7}), 0, nextOffset++, false));
        out.addAll(s.onChunk(new TokenChunk("d", "y", 1, true, "h", new int[] {8, 8, 8, 8}), 0, nextOffset++, false));
        assertArrayEquals(new int[] {1, 2, 3}, out.get(0).inputs());
        assertArrayEquals(new int[] {4, 5, 6}, out.get(1).inputs());
        assertArrayEquals(new int[] {7, 9, 9}, out.get(2).inputs(), "y follows x, whole");
        // an exact copy of x and a near copy of a long document are dropped
        int[] longDoc = new Random(1).ints(400, 0, 50000).toArray();
        int[] nearCopy = longDoc.clone();
        nearCopy[200] = 7; // one token changed: ~99% of shingles shared
        feed(s, "long", longDoc, 100, false);
        feed(s, "x-again", new int[] {1, 2, 3, 4, 5, 6, 7}, 100, false);
        feed(s, "near", nearCopy, 100, false);
        feed(s, "other", new Random(2).ints(400, 0, 50000).toArray(), 100, false);
        var st = s.status(Map.of());
        assertEquals(1L, (long) st.exactDuplicates());
        assertEquals(1L, (long) st.nearDuplicates());
        assertEquals(4L, (long) st.documents(), "x, y, long, other");
    }

    @Test
    void withoutDropLastTheTailIsPaddedAndTheShortBatchKept() {
        DatasetSampler s = new DatasetSampler("d", new SamplingSpec(4, 4, 2, 1.0, 1L, 1, 1, false, false, false));
        List<TrainingBatch> out = new ArrayList<>(feed(s, "a", range(10, 11), 100, false)); // windows at 0, 4; tail 8..10
        assertEquals(1, out.size());
        out.addAll(s.endEpoch());
        assertEquals(2, out.size());
        TrainingBatch last = out.get(1);
        assertEquals(1, last.batchSize());
        assertArrayEquals(new int[] {18, 19, 50256, 50256}, last.inputs());
        assertArrayEquals(new int[] {19, 20, -100, -100}, last.targets());
    }

    @Test
    void packedWindowsCarryEachTokensDocumentStart() {
        DatasetSampler s = new DatasetSampler("d", new SamplingSpec(4, 2, 1, 1.0, 1L, 1, 1, true, false, true));
        List<TrainingBatch> out = new ArrayList<>();
        out.addAll(feed(s, "a", new int[] {1, 2, 3}, 100, false));
        out.addAll(feed(s, "b", new int[] {4, 5, 6, 7, 8}, 100, false));
        out.addAll(feed(s, "c", new int[] {9, 10, 11}, 100, false));
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
        TrainingBatch back = TrainingBatch.decode(out.get(3).encode());
        assertArrayEquals(out.get(3).documentStarts(), back.documentStarts(), "the starts travel in the record");
        DatasetSampler plain = new DatasetSampler("d", new SamplingSpec(4, 2, 1, 1.0, 1L, 1, 1, true, false, false));
        assertEquals(null, feed(plain, "a", new int[] {1, 2, 3, 4, 5}, 100, false).get(0).documentStarts());
    }

    /** A chunk at its offset on the (one-partition) token topic. */
    private record Placed(TokenChunk chunk, long offset) {}

    /** Three documents in chunks of 7 tokens, interleaved, at offsets 100, 101, ... */
    private static List<Placed> topic() {
        List<Placed> out = new ArrayList<>();
        int[][] docs = {range(1, 40), range(500, 23), range(900, 31)};
        int[] next = new int[docs.length];
        for (long offset = 100; out.size() < 14; ) {
            for (int d = 0; d < docs.length; d++) {
                int from = next[d] * 7;
                if (from >= docs[d].length) continue;
                int[] part = Arrays.copyOfRange(docs[d], from, Math.min(docs[d].length, from + 7));
                out.add(new Placed(new TokenChunk("d", "doc" + d, next[d]++, from + 7 >= docs[d].length, "h", part), offset++));
            }
        }
        return out;
    }

    /**
     * What one process sends: the first liveTo chunks of the first epoch; with all of them, the epochs' ends
     * and replays too. It stops after the step (a chunk, an epoch's end) that brought its count to
     * stopAfterBatches: the state is stored after each step, so that is where a process can be said to stop.
     */
    private static List<TrainingBatch> run(DatasetSampler s, List<Placed> topic, int liveTo, int stopAfterBatches) {
        List<TrainingBatch> sent = new ArrayList<>();
        Predicate<List<TrainingBatch>> step = made -> {
            for (TrainingBatch b : made) if (!s.sentBeforeRestart(b)) sent.add(b);
            return sent.size() >= stopAfterBatches;
        };
        for (Placed p : topic.subList(0, liveTo)) if (step.test(s.onChunk(p.chunk(), 0, p.offset(), false))) return sent;
        if (liveTo < topic.size()) return sent;
        while (!s.done()) {
            if (step.test(s.endEpoch()) || s.done()) return sent;
            for (Placed p : topic) if (step.test(s.onChunk(p.chunk(), 0, p.offset(), true))) return sent;
        }
        return sent;
    }

    private static List<String> contents(List<TrainingBatch> batches) {
        return batches.stream().map(b -> b.split() + " " + b.epoch() + "/" + b.batchIndex() + " " + Arrays.toString(b.inputs())
                + Arrays.toString(b.targets())).toList();
    }

    @Test
    void aSamplerResumedFromItsStoredStateSendsExactlyTheBatchesItHadNotSent() {
        SamplingSpec spec = new SamplingSpec(5, 4, 2, 0.8, 3L, 3, 3, false, true, false);
        List<Placed> topic = topic();
        List<TrainingBatch> straight = run(new DatasetSampler("d", spec), topic, topic.size(), Integer.MAX_VALUE);
        assertTrue(straight.size() > 20 && straight.stream().anyMatch(b -> b.split() == Split.VALIDATION), "enough to cut anywhere");

        // stopped in the first epoch after k live chunks (batches from later chunks not made yet), or in a later
        // epoch after n batches: a new sampler, resumed from the state, reads the chunks again and sends the rest
        for (int k = 1; k <= topic.size(); k++) {
            for (int stop : new int[] {Integer.MAX_VALUE, straight.size() / 2, straight.size() - 3}) {
                DatasetSampler first = new DatasetSampler("d", spec);
                List<TrainingBatch> before = run(first, topic, k, stop);
                if (k < topic.size() && stop != Integer.MAX_VALUE) continue; // a first-epoch stop is cut by k alone
                SamplerState stored = first.state();
                DatasetSampler again = new DatasetSampler("d", spec);
                again.resumeAfter(stored);
                List<TrainingBatch> after = run(again, topic, topic.size(), Integer.MAX_VALUE);
                List<TrainingBatch> all = new ArrayList<>(before);
                all.addAll(after);
                assertEquals(contents(straight), contents(all), "stopped after " + k + " chunks, " + before.size() + " batches");
            }
        }
    }

    @Test
    void aLiveChunkAtAnOffsetAlreadyReadIsIgnored() {
        DatasetSampler s = new DatasetSampler("d", spec(3, 3, 1, 1.0, 1, true, false));
        assertEquals(1, s.onChunk(new TokenChunk("d", "a", 0, true, "h", new int[] {1, 2, 3, 4}), 0, 7, false).size());
        assertEquals(0, s.onChunk(new TokenChunk("d", "b", 0, true, "h", new int[] {5, 6, 7, 8}), 0, 7, false).size(),
                "redelivered: no new window");
        assertEquals(1, s.onChunk(new TokenChunk("d", "b", 0, true, "h", new int[] {5, 6, 7, 8}), 0, 8, false).size());
    }

    @Test
    void aDocumentTokenizedAgainIsIgnoredWhateverTheDedupSetting() {
        DatasetSampler s = new DatasetSampler("d", spec(3, 3, 1, 1.0, 1, true, false));
        assertEquals(2, feed(s, "a", range(1, 7), 4, false).size());
        // a tokenizer that restarted before committing sends a's chunks again, at new offsets
        assertEquals(0, feed(s, "a", range(1, 7), 4, false).size());
        assertEquals(2, feed(s, "b", range(1, 7), 4, false).size(), "the same text under another id is a document of its own");
        var st = s.status(Map.of());
        assertEquals(2L, (long) st.documents());
        assertEquals(1L, (long) st.documentsSeenAgain());
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
        DatasetSampler s = new DatasetSampler("d", new SamplingSpec(64, 1, 1, 1.0, 1L, 1, 1, true, true, false), budget);
        // gathering: a document that never ends cannot hold more than its quarter
        var gathering = assertThrows(IllegalArgumentException.class,
                () -> s.onChunk(new TokenChunk("d", "endless", 0, false, "h", new int[300_000]), 0, nextOffset++, false));
        assertTrue(gathering.getMessage().contains("open documents"), gathering.getMessage());
        assertEquals(0, (int) s.status(Map.of()).openDocuments(), "the document was let go");
        // windows: 5,000 tokens at stride 1 make 4,936 windows of 512 bytes, 2.4 MiB at once
        var windows = assertThrows(IllegalArgumentException.class,
                () -> feed(s, "wide", range(0, 5000), 5000, false));
        assertTrue(windows.getMessage().contains("windows at stride 1"), windows.getMessage());
        assertEquals(36, feed(s, "fits", range(0, 100), 100, false).size(), "a document within the budget is sampled");

        // dedup remembers at most its quarter's worth of documents, then only compares with those
        DatasetSampler many = new DatasetSampler("d", new SamplingSpec(4, 4, 1, 1.0, 1L, 1, 1, true, true, false),
                4 * 3 * Deduplicator.BYTES_PER_DOCUMENT);
        for (int d = 0; d < 5; d++) feed(many, "doc" + d, range(1000 * d, 9), 9, false);
        assertTrue(many.status(Map.of()).dedupFull());
        feed(many, "again0", range(0, 9), 9, false);    // remembered: still a duplicate
        feed(many, "again4", range(4000, 9), 9, false); // beyond the budget: not remembered, sampled again
        assertEquals(1L, (long) many.status(Map.of()).exactDuplicates());
        assertEquals(6L, (long) many.status(Map.of()).documents());
    }

    @Test
    void aStoredSpecIsCheckedLikeAPostedOne() {
        long budget = 16 << 20;
        new SamplingSpec(256, 256, 8, 0.9, 1L, 1, 1000, true, true, false).check(budget);
        for (SamplingSpec bad : List.of(new SamplingSpec(65536, 1, 8, 0.9, 1L, 1, 1_000_000, true, true, false),
                new SamplingSpec(-1, 1, 8, 0.9, 1L, 1, 1, true, true, false),
                new SamplingSpec(null, 1, 8, 0.9, 1L, 1, 1, true, true, false),
                new SamplingSpec(4, 1, 8, Double.NaN, 1L, 1, 1, true, true, false))) {
            assertThrows(IllegalArgumentException.class, () -> bad.check(budget), bad.toString());
        }
    }
}
