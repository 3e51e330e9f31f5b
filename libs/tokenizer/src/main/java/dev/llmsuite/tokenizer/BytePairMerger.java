package dev.llmsuite.tokenizer;

import java.util.PriorityQueue;

/**
 * Byte-pair merging of one pre-token: start from one token per byte, repeatedly merge the adjacent pair
 * with the lowest priority (the leftmost on ties), until no adjacent pair merges. Short pieces use a
 * flat array scan; long ones a heap over a linked list, so a 100,000-byte word costs n log n, not n².
 */
final class BytePairMerger {
    /** Above this many bytes the heap wins over rescanning. */
    private static final int FLAT_LIMIT = 128;

    private final MergeTable merges;
    private final int[] byteIds;

    BytePairMerger(MergeTable merges, int[] byteIds) {
        this.merges = merges;
        this.byteIds = byteIds;
    }

    /** Merges bytes[off, off + n) and appends the resulting ids to out. */
    void merge(byte[] bytes, int off, int n, Scratch scratch, IntList out) {
        if (n <= FLAT_LIMIT) flat(bytes, off, n, scratch, out);
        else heap(bytes, off, n, out);
    }

    /** Per-thread buffers, so merging allocates nothing for short pieces. */
    static final class Scratch {
        final int[] parts = new int[FLAT_LIMIT];
        final int[] prio = new int[FLAT_LIMIT];
    }

    private void flat(byte[] bytes, int off, int n, Scratch s, IntList out) {
        int[] parts = s.parts;
        int[] prio = s.prio; // prio[i]: priority of merging parts[i] with parts[i+1], MAX if none
        for (int i = 0; i < n; i++) parts[i] = byteIds[bytes[off + i] & 0xFF];
        for (int i = 0; i + 1 < n; i++) prio[i] = priority(parts[i], parts[i + 1]);
        int len = n;
        while (len > 1) {
            int best = Integer.MAX_VALUE, at = -1;
            for (int i = 0; i + 1 < len; i++) {
                if (prio[i] < best) {
                    best = prio[i];
                    at = i;
                }
            }
            if (at < 0) break;
            parts[at] = merges.mergedAt(merges.find(parts[at], parts[at + 1]));
            System.arraycopy(parts, at + 2, parts, at + 1, len - at - 2);
            System.arraycopy(prio, at + 2, prio, at + 1, len - at - 2);
            len--;
            if (at + 1 < len) prio[at] = priority(parts[at], parts[at + 1]);
            else prio[at] = Integer.MAX_VALUE;
            if (at > 0) prio[at - 1] = priority(parts[at - 1], parts[at]);
        }
        for (int i = 0; i < len; i++) out.add(parts[i]);
    }

    private int priority(int left, int right) {
        int slot = merges.find(left, right);
        return slot < 0 ? Integer.MAX_VALUE : merges.priorityAt(slot);
    }

    private void heap(byte[] bytes, int off, int n, IntList out) {
        int[] id = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            id[i] = byteIds[bytes[off + i] & 0xFF];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        // (priority << 32 | left position): the lowest priority first, then the leftmost.
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) offer(queue, id, i, i + 1);
        boolean[] dead = new boolean[n];
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int left = (int) top;
            int prio = (int) (top >>> 32);
            if (dead[left] || next[left] < 0) continue;
            int right = next[left];
            // Stale if either side has merged since this entry was made.
            if (priority(id[left], id[right]) != prio) continue;
            id[left] = merges.mergedAt(merges.find(id[left], id[right]));
            dead[right] = true;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) offer(queue, id, prev[left], left);
            if (next[left] >= 0) offer(queue, id, left, next[left]);
        }
        for (int i = 0; i >= 0; i = next[i]) out.add(id[i]);
    }

    private void offer(PriorityQueue<Long> queue, int[] id, int left, int right) {
        int p = priority(id[left], id[right]);
        if (p != Integer.MAX_VALUE) queue.add(((long) p << 32) | left);
    }
}
