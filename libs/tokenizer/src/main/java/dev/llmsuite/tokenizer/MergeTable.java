package dev.llmsuite.tokenizer;

import java.util.Arrays;

/**
 * (left id, right id) → the merged token and its priority (lower merges first). For a tiktoken rank
 * file every adjacent pair whose concatenation is a token is listed, with the merged token's rank as
 * priority, which is exactly tiktoken's rule; for a merges file (vocab.bpe) only the listed merges, in
 * file order, as in OpenAI's encoder.py.
 */
final class MergeTable {
    private long[] keys;
    private int[] merged;
    private int[] priority;
    private int size;
    private int mask;

    MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        merged = new int[cap];
        priority = new int[cap];
        mask = cap - 1;
        Arrays.fill(keys, -1L);
    }

    int size() { return size; }

    /** Adds a merge unless the pair is already there with a better (lower) priority. */
    void put(int left, int right, int mergedId, int prio) {
        if (size * 2 >= keys.length) grow();
        long key = key(left, right);
        int s = slot(key);
        while (keys[s] != -1L && keys[s] != key) s = (s + 1) & mask;
        if (keys[s] == key) {
            if (prio < priority[s]) {
                merged[s] = mergedId;
                priority[s] = prio;
            }
            return;
        }
        keys[s] = key;
        merged[s] = mergedId;
        priority[s] = prio;
        size++;
    }

    /** The slot of the pair, or -1 if the pair never merges. */
    int find(int left, int right) {
        long key = key(left, right);
        int s = slot(key);
        while (true) {
            long k = keys[s];
            if (k == key) return s;
            if (k == -1L) return -1;
            s = (s + 1) & mask;
        }
    }

    int mergedAt(int slot) { return merged[slot]; }

    int priorityAt(int slot) { return priority[slot]; }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    private void grow() {
        long[] k = keys;
        int[] m = merged, p = priority;
        keys = new long[k.length * 2];
        merged = new int[k.length * 2];
        priority = new int[k.length * 2];
        mask = keys.length - 1;
        Arrays.fill(keys, -1L);
        size = 0;
        for (int i = 0; i < k.length; i++) if (k[i] != -1L) put((int) (k[i] >>> 32), (int) k[i], m[i], p[i]);
    }
}
