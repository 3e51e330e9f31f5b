package dev.llmsuite.services.inference;

import dev.llmsuite.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * One generated token as OpenAI's logprobs report it: its text and bytes, its log-probability under
 * the model's own distribution (log-softmax of the logits: temperature 1, before top-k and top-p cut
 * it), the most likely alternatives, and where its text starts in the choice's text.
 *
 * @param top the {@code top} most likely tokens at this position, most likely first (empty when 0 asked)
 */
record TokenLogprob(int id, String token, byte[] bytes, double logprob, List<TokenLogprob> top, int textOffset) {

    static TokenLogprob of(TextTokenizer tokenizer, int id, float[] logits, int top, int textOffset) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        List<TokenLogprob> alternatives = new ArrayList<>(top);
        for (int t : topIndices(logits, top)) {
            alternatives.add(new TokenLogprob(t, text(tokenizer, t), tokenizer.decodeBytes(new int[] {t}), logits[t] - logZ, List.of(), -1));
        }
        return new TokenLogprob(id, text(tokenizer, id), tokenizer.decodeBytes(new int[] {id}), logits[id] - logZ,
                List.copyOf(alternatives), textOffset);
    }

    /** A token's text; bytes that are not a whole character read as U+FFFD (its bytes stay exact). */
    private static String text(TextTokenizer tokenizer, int id) {
        return tokenizer.decode(new int[] {id});
    }

    /** The k largest logits' indices, largest first (k is small: a partial insertion sort). */
    static int[] topIndices(float[] logits, int k) {
        k = Math.min(k, logits.length);
        if (k <= 0) return new int[0]; // logprobs: 0 asks for each token's own logprob and no alternatives
        int[] best = new int[k];
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            if (n == k && logits[i] <= logits[best[k - 1]]) continue;
            int at = n < k ? n++ : k - 1;
            while (at > 0 && logits[best[at - 1]] < logits[i]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        return best;
    }

    /** The bytes as OpenAI lists them: unsigned integers. */
    List<Integer> byteList() {
        List<Integer> out = new ArrayList<>(bytes.length);
        for (byte b : bytes) out.add(b & 0xFF);
        return out;
    }
}
