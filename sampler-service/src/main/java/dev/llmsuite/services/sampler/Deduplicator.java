package dev.llmsuite.services.sampler;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Duplicate documents within a dataset: exact (SHA-256 of the token ids) and near (MinHash over
 * 5-token shingles: 128 hashes in 32 bands of 4, so pairs above ~0.8 Jaccard share a band with high
 * probability; a candidate counts as a duplicate when its estimated Jaccard is at least 0.8).
 */
final class Deduplicator {
    enum Verdict { UNIQUE, EXACT_DUPLICATE, NEAR_DUPLICATE }

    static final int SHINGLE = 5;
    static final int HASHES = 128;
    static final int BANDS = 32;
    static final int ROWS = HASHES / BANDS;
    static final double THRESHOLD = 0.8;

    private final Set<String> exact = new HashSet<>();
    private final List<int[]> signatures = new ArrayList<>();
    private final Map<Long, List<Integer>> buckets = new HashMap<>();
    private static final long[] SEEDS = new long[HASHES];

    static {
        SplittableRandom r = new SplittableRandom(0x5eedL);
        for (int i = 0; i < HASHES; i++) SEEDS[i] = r.nextLong() | 1;
    }

    /** About what remembering one document takes: its hash, its signature and its 32 bucket entries. */
    static final long BYTES_PER_DOCUMENT = 1536;

    private final long maxDocuments;

    /** maxBytes: memory the remembered documents may take; beyond it new documents are judged but not remembered. */
    Deduplicator(long maxBytes) {
        this.maxDocuments = maxBytes / BYTES_PER_DOCUMENT;
    }

    /** Whether the state is at its budget: later documents are only compared with the ones remembered so far. */
    boolean full() {
        return exact.size() >= maxDocuments;
    }

    /** Judges a document and remembers it when unique (and the budget allows). */
    Verdict check(int[] ids) {
        String hash = sha256(ids);
        if (exact.contains(hash)) return Verdict.EXACT_DUPLICATE;
        boolean remember = !full();
        if (remember) exact.add(hash);
        if (ids.length < SHINGLE) return Verdict.UNIQUE; // too short to shingle: exact matching only
        int[] sig = signature(ids);
        Set<Integer> candidates = new HashSet<>();
        for (int b = 0; b < BANDS; b++) {
            List<Integer> in = buckets.get(bandKey(sig, b));
            if (in != null) candidates.addAll(in);
        }
        for (int c : candidates) {
            if (similarity(sig, signatures.get(c)) >= THRESHOLD) return Verdict.NEAR_DUPLICATE;
        }
        if (!remember) return Verdict.UNIQUE;
        int id = signatures.size();
        signatures.add(sig);
        for (int b = 0; b < BANDS; b++) buckets.computeIfAbsent(bandKey(sig, b), k -> new ArrayList<>()).add(id);
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
