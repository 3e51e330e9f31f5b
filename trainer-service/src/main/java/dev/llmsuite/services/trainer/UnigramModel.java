package dev.llmsuite.services.trainer;

import java.util.Arrays;

/**
 * The wiring model: next-token probabilities from token counts with add-one smoothing. It is a real
 * (if weak) language model whose loss falls as it sees data, which is all the wiring needs to show;
 * the GPT engine replaces it.
 */
final class UnigramModel {
    private long[] counts;
    private long total;

    UnigramModel(int vocabSize) {
        this.counts = new long[vocabSize];
    }

    /** Mean cross-entropy (nats) of the targets under the current counts; ignore-index targets skipped. */
    synchronized double loss(int[] targets) {
        double sum = 0;
        int n = 0;
        for (int t : targets) {
            if (t < 0) continue;
            grow(t);
            sum -= Math.log((counts[t] + 1.0) / (total + counts.length));
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    synchronized void learn(int[] targets) {
        for (int t : targets) {
            if (t < 0) continue;
            grow(t);
            counts[t]++;
            total++;
        }
    }

    synchronized long[] countsSnapshot() { return counts.clone(); }

    synchronized long tokensSeen() { return total; }

    private void grow(int id) {
        if (id >= counts.length) counts = Arrays.copyOf(counts, Math.max(id + 1, counts.length * 2));
    }
}
