package dev.llmsuite.finetune;

import dev.llmsuite.records.Gpt2;
import java.util.Arrays;
import java.util.List;

/**
 * The book's custom_collate_fn (chapter 7): each sequence gets one end-of-text token, the batch is
 * padded with it to its longest sequence + 1, inputs drop the last token and targets the first, and in
 * the targets every padding token after the first becomes -100, so the model learns to end its answer
 * but not to produce padding. Optionally the sequences are truncated to a maximum length, and the prompt
 * tokens of each target are masked with -100 too (the model is then scored on the response only).
 */
public final class InstructionCollate {
    public static final int END_OF_TEXT = Gpt2.END_OF_TEXT;
    public static final int IGNORE = -100;

    /** [B, T] inputs and targets, row-major. */
    public record Batch(int[] inputs, int[] targets, int batchSize, int length) {}

    private InstructionCollate() {}

    public static Batch collate(List<int[]> sequences) {
        return collate(sequences, null, null);
    }

    /**
     * @param allowedMaxLength truncate inputs and targets to this many tokens (null: no limit)
     * @param promptLengths    per sequence, how many leading tokens are prompt, masked in the targets (null: none)
     */
    public static Batch collate(List<int[]> sequences, Integer allowedMaxLength, int[] promptLengths) {
        return collate(sequences, allowedMaxLength, promptLengths, END_OF_TEXT);
    }

    /** The same with another model's end-of-text token (Llama 3's, Qwen3's) as the pad. */
    public static Batch collate(List<int[]> sequences, Integer allowedMaxLength, int[] promptLengths, int endOfText) {
        if (sequences.isEmpty()) throw new IllegalArgumentException("an empty batch");
        int longest = 0;
        for (int[] s : sequences) longest = Math.max(longest, s.length + 1);
        int t = longest - 1;
        if (allowedMaxLength != null) t = Math.min(t, allowedMaxLength);
        int b = sequences.size();
        int[] inputs = new int[b * t], targets = new int[b * t];
        for (int i = 0; i < b; i++) {
            int[] s = sequences.get(i);
            // new_item = item + [pad]; padded to the batch's longest + 1
            int[] padded = Arrays.copyOf(s, longest);
            Arrays.fill(padded, s.length, longest, endOfText);
            int[] target = Arrays.copyOfRange(padded, 1, longest);
            // every target equal to the pad token but the first becomes -100 (exactly the book's rule)
            boolean first = true;
            for (int j = 0; j < target.length; j++) {
                if (target[j] != endOfText) continue;
                if (first) first = false;
                else target[j] = IGNORE;
            }
            if (promptLengths != null) {
                for (int j = 0; j < Math.min(promptLengths[i] - 1, target.length); j++) target[j] = IGNORE;
            }
            System.arraycopy(padded, 0, inputs, i * t, t);
            System.arraycopy(target, 0, targets, i * t, t);
        }
        return new Batch(inputs, targets, b, t);
    }
}
