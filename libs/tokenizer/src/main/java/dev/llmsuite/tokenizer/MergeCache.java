package dev.llmsuite.tokenizer;

import java.util.Arrays;

/**
 * The ids of recently merged pieces, per thread: words outside the vocabulary repeat, and merging one
 * costs far more than finding it here. Direct-mapped: a new piece simply replaces whatever was in its slot.
 */
final class MergeCache {
    private static final int SLOTS = 1 << 13;
    static final int MAX_PIECE = 64;

    private final byte[][] keys = new byte[SLOTS][];
    private final int[][] values = new int[SLOTS][];

    /** Appends the cached ids of b[off, off+len) to out and returns true, or returns false. */
    boolean appendIfPresent(byte[] b, int off, int len, IntList out) {
        int s = slot(b, off, len);
        byte[] k = keys[s];
        if (k == null || k.length != len || !Arrays.equals(k, 0, len, b, off, off + len)) return false;
        int[] v = values[s];
        out.addAll(v, 0, v.length);
        return true;
    }

    void put(byte[] b, int off, int len, int[] ids) {
        int s = slot(b, off, len);
        keys[s] = Arrays.copyOfRange(b, off, off + len);
        values[s] = ids;
    }

    private static int slot(byte[] b, int off, int len) {
        int h = len;
        for (int i = off; i < off + len; i++) h = h * 31 + b[i];
        h ^= h >>> 16;
        return h & (SLOTS - 1);
    }
}
