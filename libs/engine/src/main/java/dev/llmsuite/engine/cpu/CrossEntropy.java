package dev.llmsuite.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax cross-entropy over the vocabulary, fused: no probability tensor is stored. Forward keeps
 * each row's log-sum-exp; backward turns the logits buffer into dlogits in place. Targets equal to
 * {@link #IGNORE_INDEX} add no loss and no gradient; the loss is the mean over the others.
 */
public final class CrossEntropy {
    public static final int IGNORE_INDEX = -100;
    private static final int ROWS = 4;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Σ exp(x[i] − max) over a row, vectorized; partial sums in float lanes, total in double. */
    private static double sumExp(float[] x, int off, int v, float max) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + S.length() <= v; i += S.length()) {
            acc = acc.add(VectorMath.exp(FloatVector.fromArray(S, x, off + i).sub(max)));
        }
        double sum = VectorMath.sum(acc);
        for (; i < v; i++) sum += VectorMath.exp(x[off + i] - max);
        return sum;
    }

    private CrossEntropy() {}

    /** Per-row losses into losses[N] (0 for ignored rows) and log-sum-exp into lse[N]; returns the mean loss. */
    public static double forward(WorkerPool pool, float[] logits, int logitsOff, int[] targets, float[] losses,
                                 int lossesOff, float[] lse, int lseOff, int n, int v) {
        pool.run((n + ROWS - 1) / ROWS, task -> {
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                int row = logitsOff + r * v;
                float max = VectorMath.max(logits, row, v);
                float rowLse = (float) (max + Math.log(sumExp(logits, row, v, max)));
                lse[lseOff + r] = rowLse;
                int target = targets[r];
                if (target == IGNORE_INDEX) {
                    losses[lossesOff + r] = 0f;
                } else {
                    if (target < 0 || target >= v) throw new IllegalArgumentException("target " + target + " outside [0, " + v + ")");
                    losses[lossesOff + r] = rowLse - logits[row + target];
                }
            }
        });
        return meanLoss(losses, lossesOff, targets, n);
    }

    /** The mean of per-row losses over rows whose target is not {@link #IGNORE_INDEX} (0 if none): any backend's loss. */
    public static double meanLoss(float[] losses, int lossesOff, int[] targets, int n) {
        double total = 0;
        for (int r = 0; r < n; r++) if (targets[r] != IGNORE_INDEX) total += losses[lossesOff + r];
        int counted = countTargets(targets, n);
        return counted == 0 ? 0.0 : total / counted;
    }

    /** Rows that count towards the loss. */
    public static int countTargets(int[] targets, int n) {
        int counted = 0;
        for (int r = 0; r < n; r++) if (targets[r] != IGNORE_INDEX) counted++;
        return counted;
    }

    /** logits := dloss/dlogits · lossScale, where lossScale is d(total objective)/d(mean loss). */
    public static void backwardInPlace(WorkerPool pool, float[] logits, int logitsOff, int[] targets, float[] lse,
                                       int lseOff, int n, int v, float lossScale) {
        int counted = countTargets(targets, n);
        float dscale = counted == 0 ? 0f : lossScale / counted;
        pool.run((n + ROWS - 1) / ROWS, task -> {
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                int row = logitsOff + r * v;
                int target = targets[r];
                if (target == IGNORE_INDEX) {
                    Arrays.fill(logits, row, row + v, 0f);
                    continue;
                }
                float l = lse[lseOff + r];
                int i = 0;
                for (; i + S.length() <= v; i += S.length()) {
                    VectorMath.exp(FloatVector.fromArray(S, logits, row + i).sub(l)).mul(dscale)
                            .intoArray(logits, row + i);
                }
                for (; i < v; i++) logits[row + i] = VectorMath.exp(logits[row + i] - l) * dscale;
                logits[row + target] -= dscale;
            }
        });
    }
}
