package dev.llmsuite.tokenizer;

import java.util.Arrays;

/**
 * Byte string → token id, looked up straight from a slice of a buffer (no allocation per lookup).
 * Open addressing over the vocabulary's own token bytes.
 */
final class TokenIndex {
    private final byte[][] tokens;
    private final int[] slots; // token id, or -1
    private final int mask;

    TokenIndex(byte[][] tokens) {
        this.tokens = tokens;
        int cap = Integer.highestOneBit(Math.max(16, tokens.length * 2 - 1)) << 1;
        slots = new int[cap];
        mask = cap - 1;
        Arrays.fill(slots, -1);
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id] == null) continue;
            int s = hash(tokens[id], 0, tokens[id].length) & mask;
            while (slots[s] >= 0) {
                if (Arrays.equals(tokens[slots[s]], tokens[id])) {
                    throw new IllegalArgumentException("token " + id + " duplicates token " + slots[s]);
                }
                s = (s + 1) & mask;
            }
            slots[s] = id;
        }
    }

    /** The id of buf[off, off+len), or -1. */
    int get(byte[] buf, int off, int len) {
        int s = hash(buf, off, len) & mask;
        while (true) {
            int id = slots[s];
            if (id < 0) return -1;
            byte[] t = tokens[id];
            if (t.length == len && Arrays.equals(t, 0, len, buf, off, off + len)) return id;
            s = (s + 1) & mask;
        }
    }

    private static int hash(byte[] b, int off, int len) {
        int h = len * 0x9E3779B1;
        for (int i = off; i < off + len; i++) h = (h ^ b[i]) * 0x01000193;
        return h ^ (h >>> 15);
    }
}
