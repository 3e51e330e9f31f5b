package dev.llmsuite.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A vocabulary's merges as an ordered list of pairs, the form vocab.bpe, Hugging Face's tokenizer.json and GGUF's
 * {@code tokenizer.ggml.merges} hold. A tiktoken vocabulary has ranks, not merges: each token's merge is recovered by
 * running BPE on its own bytes with only the merges ranked before it, which ends in exactly the two parts that merge
 * last (for GPT-2 this gives vocab.bpe's 50,000 merges in its order). A vocabulary read from a merge list gives that
 * list back (Llama 3's holds tokens no merge makes, taken whole: the reconstruction does not apply).
 */
public final class MergeList {
    private MergeList() {}

    /** (left id, right id) pairs, the earliest merge first. */
    public static List<int[]> of(Vocabulary v) {
        if (v.mergeList() != null) return v.mergeList().stream().map(int[]::clone).toList();
        MergeTable table = v.merges();
        List<int[]> merges = new ArrayList<>(); // {priority, left, right}
        for (int id = 0; id < v.ordinaryCount(); id++) {
            byte[] bytes = v.tokenBytes(id);
            if (bytes == null || bytes.length < 2) continue;
            int priority = priorityOf(v, table, id, bytes);
            if (priority == Integer.MAX_VALUE) continue; // no merge makes it: unreachable by BPE, as in encoder.py
            int[] parts = bpe(v, table, bytes, priority);
            if (parts.length != 2 || table.find(parts[0], parts[1]) < 0 || table.mergedAt(table.find(parts[0], parts[1])) != id) {
                throw new IllegalStateException(v.name() + ": token " + id + " is not made by one merge of what BPE reaches before it");
            }
            merges.add(new int[] {priority, parts[0], parts[1]});
        }
        merges.sort(Comparator.comparingInt((int[] m) -> m[0]));
        return merges.stream().map(m -> new int[] {m[1], m[2]}).toList();
    }

    /** The best priority of any pair that merges into id. */
    private static int priorityOf(Vocabulary v, MergeTable table, int id, byte[] bytes) {
        int best = Integer.MAX_VALUE;
        for (int k = 1; k < bytes.length; k++) {
            int left = v.index().get(bytes, 0, k), right = left < 0 ? -1 : v.index().get(bytes, k, bytes.length - k);
            int slot = right < 0 ? -1 : table.find(left, right);
            if (slot >= 0 && table.mergedAt(slot) == id) best = Math.min(best, table.priorityAt(slot));
        }
        return best;
    }

    /** Plain BPE over bytes with only the merges of priority below limit. */
    private static int[] bpe(Vocabulary v, MergeTable table, byte[] bytes, int limit) {
        int[] parts = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) parts[i] = v.byteIds()[bytes[i] & 0xFF];
        int n = parts.length;
        while (n > 1) {
            int at = -1, bestPriority = limit;
            for (int i = 0; i + 1 < n; i++) {
                int slot = table.find(parts[i], parts[i + 1]);
                if (slot >= 0 && table.priorityAt(slot) < bestPriority) {
                    bestPriority = table.priorityAt(slot);
                    at = i;
                }
            }
            if (at < 0) break;
            parts[at] = table.mergedAt(table.find(parts[at], parts[at + 1]));
            System.arraycopy(parts, at + 2, parts, at + 1, n - at - 2);
            n--;
        }
        return Arrays.copyOf(parts, n);
    }
}
