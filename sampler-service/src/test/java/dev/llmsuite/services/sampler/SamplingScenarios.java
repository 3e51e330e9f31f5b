package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.TrainingBatch;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Corpora and specs whose batches are pinned by {@code fixtures/sampling-digests.txt}: the fixture was
 * written by the sampler before it moved onto Kafka Streams (the in-memory DatasetSampler, by
 * {@code SamplingDigestsFixture} in commit b28e897, which fed each epoch's chunks again as the topic replay
 * did), so the topology must send the same batches, bit for bit ({@code SameBatchesAsBeforeTest}).
 */
final class SamplingScenarios {
    private SamplingScenarios() {}

    /** A named spec and the chunks of one dataset, in topic order. */
    record Scenario(String name, SamplingSpec spec, List<TokenChunk> chunks) {}

    static List<Scenario> all() {
        List<Scenario> out = new ArrayList<>();
        Random r = new Random(2026);
        out.add(new Scenario("book-default", new SamplingSpec(256, 256, 8, 0.9, 123L, 1, 1000, true, true, false),
                chunked(documents(r, 30, 50, 3000, 0, 0), 1000, false)));
        out.add(new Scenario("small-three-epochs", new SamplingSpec(5, 4, 2, 0.8, 3L, 3, 3, false, true, false),
                chunked(documents(r, 6, 10, 60, 1, 1), 7, true)));
        out.add(new Scenario("packed", new SamplingSpec(16, 8, 3, 0.75, 9L, 2, 50, false, false, true),
                chunked(documents(r, 40, 1, 90, 3, 0), 17, true)));
        out.add(new Scenario("dedup-two-epochs", new SamplingSpec(12, 6, 4, 0.9, 77L, 2, 20, true, true, false),
                chunked(documents(r, 25, 20, 400, 4, 4), 64, false)));
        out.add(new Scenario("stride-over-length", new SamplingSpec(8, 13, 4, 0.7, 5L, 2, 7, false, false, false),
                chunked(documents(r, 10, 5, 200, 0, 0), 33, true)));
        return out;
    }

    /** n documents of random length; then exact copies and near copies (one token changed) of earlier ones. */
    private static List<int[]> documents(Random r, int n, int minLength, int maxLength, int exactCopies, int nearCopies) {
        List<int[]> docs = new ArrayList<>();
        for (int d = 0; d < n; d++) docs.add(r.ints(minLength + r.nextInt(maxLength - minLength + 1), 0, 50257).toArray());
        for (int c = 0; c < exactCopies; c++) docs.add(docs.get(r.nextInt(n)).clone());
        for (int c = 0; c < nearCopies; c++) {
            int[] near = docs.get(r.nextInt(n)).clone();
            near[near.length / 2] ^= 1;
            docs.add(near);
        }
        return docs;
    }

    /** Each document in chunks of the given size; interleaved: the documents' chunks take turns. */
    private static List<TokenChunk> chunked(List<int[]> docs, int size, boolean interleaved) {
        List<List<TokenChunk>> perDocument = new ArrayList<>();
        for (int d = 0; d < docs.size(); d++) {
            int[] ids = docs.get(d);
            List<TokenChunk> chunks = new ArrayList<>();
            for (int from = 0, seq = 0; from < ids.length; from += size, seq++) {
                chunks.add(new TokenChunk("fx", "doc" + d, seq, from + size >= ids.length, "h",
                        Arrays.copyOfRange(ids, from, Math.min(ids.length, from + size))));
            }
            perDocument.add(chunks);
        }
        List<TokenChunk> out = new ArrayList<>();
        if (!interleaved) {
            perDocument.forEach(out::addAll);
            return out;
        }
        for (int turn = 0; ; turn++) {
            boolean any = false;
            for (List<TokenChunk> chunks : perDocument) {
                if (turn < chunks.size()) {
                    out.add(chunks.get(turn));
                    any = true;
                }
            }
            if (!any) return out;
        }
    }

    /** One line of the fixture: the scenario, a split, how many batches, and the SHA-256 of their records in order. */
    static String digest(String scenario, Split split, List<TrainingBatch> sent) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            List<TrainingBatch> of = sent.stream().filter(b -> b.split() == split).toList();
            for (TrainingBatch b : of) md.update(b.encode());
            return scenario + " " + split + " " + of.size() + " " + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
