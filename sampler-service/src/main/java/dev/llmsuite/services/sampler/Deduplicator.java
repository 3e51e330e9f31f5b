package dev.llmsuite.services.sampler;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Duplicate documents within a dataset: exact (SHA-256 of the token ids) and near (MinHash over
 * 5-token shingles: 128 hashes in 32 bands of 4, so pairs above ~0.8 Jaccard share a band with high
 * probability; a candidate counts as a duplicate when its estimated Jaccard is at least 0.8). What it
 * remembers lies in the dedup store under the dataset ({@link SamplerStores}); the counts in its progress.
 */
final class Deduplicator {
    enum Verdict { UNIQUE, EXACT_DUPLICATE, NEAR_DUPLICATE }

    static final int SHINGLE = 5;
    static final int HASHES = 128;
    static final int BANDS = 32;
    static final int ROWS = HASHES / BANDS;
    static final double THRESHOLD = 0.8;

    private static final long[] SEEDS = new long[HASHES];

    static {
        SplittableRandom r = new SplittableRandom(0x5eedL);
        for (int i = 0; i < HASHES; i++) SEEDS[i] = r.nextLong() | 1;
    }

    /** About what remembering one document takes: its hash, its signature and its 32 bucket entries. */
    static final long BYTES_PER_DOCUMENT = 1536;

    private final long maxDocuments;
    private final KeyValueStore<String, byte[]> store;
    private final String dataset;
    private final DatasetProgress progress;

    /** maxBytes: what the remembered documents may take; beyond it new documents are judged but not remembered. */
    Deduplicator(KeyValueStore<String, byte[]> store, String dataset, DatasetProgress progress, long maxBytes) {
        this.store = store;
        this.dataset = dataset;
        this.progress = progress;
        this.maxDocuments = maxBytes / BYTES_PER_DOCUMENT;
    }

    /** Whether the state is at its budget: later documents are only compared with the ones remembered so far. */
    static boolean full(DatasetProgress progress, long maxBytes) {
        return progress.dedupHashes >= maxBytes / BYTES_PER_DOCUMENT;
    }

    /** Judges a document and remembers it when unique (and the budget allows). */
    Verdict check(int[] ids) {
        String hash = dataset + "/x/" + sha256(ids);
        if (store.get(hash) != null) return Verdict.EXACT_DUPLICATE;
        boolean remember = progress.dedupHashes < maxDocuments;
        if (remember) {
            store.put(hash, new byte[0]);
            progress.dedupHashes++;
        }
        if (ids.length < SHINGLE) return Verdict.UNIQUE; // too short to shingle: exact matching only
        int[] sig = signature(ids);
        String[] bands = new String[BANDS];
        int[][] members = new int[BANDS][];
        Set<Integer> candidates = new LinkedHashSet<>();
        for (int b = 0; b < BANDS; b++) {
            bands[b] = bucket(sig, b);
            byte[] in = store.get(bands[b]);
            members[b] = in == null ? new int[0] : SamplerStores.ints(in);
            for (int c : members[b]) candidates.add(c);
        }
        for (int c : candidates) {
            int[] other = SamplerStores.ints(store.get(dataset + "/g/" + SamplerStores.ordinal(c)));
            if (similarity(sig, other) >= THRESHOLD) return Verdict.NEAR_DUPLICATE;
        }
        if (!remember) return Verdict.UNIQUE;
        int id = (int) progress.dedupSignatures++;
        store.put(dataset + "/g/" + SamplerStores.ordinal(id), SamplerStores.ints(sig));
        for (int b = 0; b < BANDS; b++) {
            int[] grown = Arrays.copyOf(members[b], members[b].length + 1);
            grown[members[b].length] = id;
            store.put(bands[b], SamplerStores.ints(grown));
        }
        return Verdict.UNIQUE;
    }

    /** MinHash signature: per hash function, the minimum over the document's shingles. */
    static int[] signature(int[] ids) {
        int[] sig = new int[HASHES];
        Arrays.fill(sig, Integer.MAX_VALUE);
        for (int i = 0; i + SHINGLE <= ids.length; i++) {
            long h = 0x9E3779B97F4A7C15L;
            for (int k = 0; k < SHINGLE; k++) h = mix(h ^ ids[i + k]);
            for (int j = 0; j < HASHES; j++) {
                int v = (int) (mix(h * SEEDS[j]) >>> 33);
                if (v < sig[j]) sig[j] = v;
            }
        }
        return sig;
    }

    /** The share of equal signature entries: an estimate of the shingle sets' Jaccard similarity. */
    static double similarity(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) same++;
        return (double) same / a.length;
    }

    private String bucket(int[] sig, int band) {
        return dataset + "/b/" + SamplerStores.ordinal(bandKey(sig, band));
    }

    private static long bandKey(int[] sig, int band) {
        long h = band;
        for (int r = 0; r < ROWS; r++) h = mix(h * 31 + sig[band * ROWS + r]);
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static String sha256(int[] ids) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(ids.length * 4);
            buf.asIntBuffer().put(ids);
            return HexFormat.of().formatHex(md.digest(buf.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
