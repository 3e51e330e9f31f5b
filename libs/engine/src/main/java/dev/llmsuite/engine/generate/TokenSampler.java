package dev.llmsuite.engine.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Turns one row of logits into a token id under {@link SamplingParams}. */
public final class TokenSampler {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private final SamplingParams params;
    /** SplittableRandom mixes its seed: java.util.Random's first draws for seeds 1, 2, 3 … (n choices) are nearly equal. */
    private final SplittableRandom random;

    public TokenSampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    public int next(float[] logits) {
        return params.temperature() == 0 ? argmax(logits) : draw(distribution(logits));
    }

    /**
     * The probabilities {@link #next} draws from when sampling (temperature above 0): logits over the temperature,
     * cut to the top k, softmax, cut to the top p and renormalized. Speculative sampling compares two of these.
     */
    public double[] distribution(float[] logits) {
        if (params.temperature() == 0) throw new IllegalStateException("greedy decoding draws from no distribution");
        int v = logits.length;
        double[] scaled = new double[v];
        for (int i = 0; i < v; i++) scaled[i] = logits[i] / params.temperature();
        if (params.topK() > 0 && params.topK() < v) {
            double[] sorted = scaled.clone();
            Arrays.sort(sorted);
            double kth = sorted[v - params.topK()];
            for (int i = 0; i < v; i++) if (scaled[i] < kth) scaled[i] = Double.NEGATIVE_INFINITY; // the book's rule
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scaled) max = Math.max(max, s);
        double sum = 0;
        double[] p = new double[v];
        for (int i = 0; i < v; i++) sum += (p[i] = Math.exp(scaled[i] - max));
        for (int i = 0; i < v; i++) p[i] /= sum;
        if (params.topP() < 1) {
            Integer[] order = new Integer[v];
            for (int i = 0; i < v; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
            double cum = 0;
            boolean[] keep = new boolean[v];
            for (int r = 0; r < v; r++) {
                keep[order[r]] = true;
                cum += p[order[r]];
                if (cum >= params.topP()) break;
            }
            double kept = 0;
            for (int i = 0; i < v; i++) if (keep[i]) kept += p[i]; else p[i] = 0;
            for (int i = 0; i < v; i++) p[i] /= kept;
        }
        return p;
    }

    /** A token drawn from p (which sums to 1, up to rounding) with this sampler's generator. */
    public int draw(double[] p) {
        double u = random.nextDouble(), cum = 0;
        for (int i = 0; i < p.length; i++) {
            cum += p[i];
            if (u < cum) return i;
        }
        for (int i = p.length - 1; i >= 0; i--) if (p[i] > 0) return i; // rounding left u just above the total
        throw new IllegalArgumentException("a distribution with nothing in it");
    }

    /** A uniform number in [0, 1) from this sampler's generator. */
    public double uniform() {
        return random.nextDouble();
    }

    /**
     * The first index of the largest logit, as a scan keeping the first strictly larger value finds it: the maximum with
     * vectors, then its first place (a speculative round takes the argmax of 50,257 logits up to seventeen times).
     * A NaN anywhere leaves it to that scan.
     */
    public static int argmax(float[] logits) {
        int n = logits.length, i = 0;
        FloatVector top = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i + S.length() <= n; i += S.length()) top = top.max(FloatVector.fromArray(S, logits, i));
        float max = top.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, logits[i]);
        if (Float.isNaN(max)) return firstLargest(logits);
        for (i = 0; i + S.length() <= n; i += S.length()) {
            VectorMask<Float> at = FloatVector.fromArray(S, logits, i).eq(max);
            if (at.anyTrue()) return i + at.firstTrue();
        }
        for (; i < n; i++) if (logits[i] == max) return i;
        return 0; // every logit −∞
    }

    private static int firstLargest(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
