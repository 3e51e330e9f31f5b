package dev.llmsuite.tokenizer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Byte string → token id, looked up straight from a slice of a buffer (no allocation per lookup).
 * Open addressing over one long array, three longs a slot: the token's first 8 bytes, its next 8
 * bytes, and (id, length). A lookup touches one cache line, and tokens of up to 16 bytes (nearly all
 * of GPT-2's) compare as two longs.
 */
final class TokenIndex {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long EMPTY = -1L;

    private final byte[][] tokens;
    private final long[] table; // [head0, head1, id << 32 | length] per slot
    private final int mask;

    TokenIndex(byte[][] tokens) {
        this.tokens = tokens;
        int cap = Integer.highestOneBit(Math.max(16, tokens.length * 2 - 1)) << 1;
        table = new long[cap * 3];
        mask = cap - 1;
        for (int s = 0; s < cap; s++) table[s * 3 + 2] = EMPTY;
        for (int id = 0; id < tokens.length; id++) {
            byte[] t = tokens[id];
            if (t == null) continue;
            int dup = get(t, 0, t.length);
            if (dup >= 0) throw new IllegalArgumentException("token " + id + " duplicates token " + dup);
            long h0 = load(t, 0, t.length), h1 = t.length > 8 ? load(t, 8, t.length - 8) : 0;
            int s = hash(h0, h1, t.length) & mask;
            while (table[s * 3 + 2] != EMPTY) s = (s + 1) & mask;
            table[s * 3] = h0;
            table[s * 3 + 1] = h1;
            table[s * 3 + 2] = ((long) id << 32) | t.length;
        }
    }

    /** The id of buf[off, off+len), or -1. */
    int get(byte[] buf, int off, int len) {
        long h0 = load(buf, off, len);
        long h1 = len > 8 ? load(buf, off + 8, len - 8) : 0;
        int s = hash(h0, h1, len) & mask;
        while (true) {
            int i = s * 3;
            long meta = table[i + 2];
            if (meta == EMPTY) return -1;
            if ((int) meta == len && table[i] == h0 && table[i + 1] == h1) {
                int id = (int) (meta >>> 32);
                if (len <= 16 || Arrays.equals(tokens[id], 16, len, buf, off + 16, off + len)) return id;
            }
            s = (s + 1) & mask;
        }
    }

    private static int hash(long h0, long h1, int len) {
        long h = (h0 ^ len) * 0x9E3779B97F4A7C15L;
        h = (h ^ h1) * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 29));
    }

    /** Up to 8 bytes at off as a little-endian long, zero above len. */
    private static long load(byte[] b, int off, int len) {
        if (off + 8 <= b.length) {
            long v = (long) LONG.get(b, off);
            return len >= 8 ? v : v & ((1L << (len << 3)) - 1);
        }
        long v = 0;
        for (int i = Math.min(len, 8) - 1; i >= 0; i--) v = (v << 8) | (b[off + i] & 0xFF);
        return v;
    }
}
