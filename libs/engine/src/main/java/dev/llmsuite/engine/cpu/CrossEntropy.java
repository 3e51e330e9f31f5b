package dev.llmsuite.engine.cpu;

/**
 * Softmax cross-entropy over the vocabulary, fused: no probability tensor is stored. Forward keeps
 * each row's log-sum-exp; backward turns the logits buffer into dlogits in place. Targets equal to
 * {@link #IGNORE_INDEX} add no loss and no gradient; the loss is the mean over the others.
 */
public final class CrossEntropy {
    public static final int IGNORE_INDEX = -100;
    private static final int ROWS = 4;

    private CrossEntropy() {}

    /** Per-row losses into losses[N] (0 for ignored rows) and log-sum-exp into lse[N]; returns the mean loss. */
    public static double forward(WorkerPool pool, float[] logits, int logitsOff, int[] targets, float[] losses,
                                 float[] lse, int n, int v) {
        pool.run((n + ROWS - 1) / ROWS, task -> {
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                int row = logitsOff + r * v;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < v; i++) max = Math.max(max, logits[row + i]);
                double sum = 0;
                for (int i = 0; i < v; i++) sum += Math.exp(logits[row + i] - max);
                lse[r] = (float) (max + Math.log(sum));
                int target = targets[r];
                if (target == IGNORE_INDEX) {
                    losses[r] = 0f;
                } else {
                    if (target < 0 || target >= v) throw new IllegalArgumentException("target " + target + " outside [0, " + v + ")");
                    losses[r] = lse[r] - logits[row + target];
                }
            }
        });
        double total = 0;
        int counted = 0;
        for (int r = 0; r < n; r++) {
            if (targets[r] != IGNORE_INDEX) {
                total += losses[r];
                counted++;
            }
        }
        return counted == 0 ? 0.0 : total / counted;
    }

    /** logits := dloss/dlogits · lossScale, where lossScale is d(total objective)/d(mean loss). */
    public static void backwardInPlace(WorkerPool pool, float[] logits, int logitsOff, int[] targets, float[] lse,
                                       int n, int v, float lossScale) {
        int counted = 0;
        for (int r = 0; r < n; r++) if (targets[r] != IGNORE_INDEX) counted++;
        float dscale = counted == 0 ? 0f : lossScale / counted;
        pool.run((n + ROWS - 1) / ROWS, task -> {
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                int row = logitsOff + r * v;
                int target = targets[r];
                if (target == IGNORE_INDEX) {
                    java.util.Arrays.fill(logits, row, row + v, 0f);
                    continue;
                }
                float l = lse[r];
                for (int i = 0; i < v; i++) logits[row + i] = (float) Math.exp(logits[row + i] - l) * dscale;
                logits[row + target] -= dscale;
            }
        });
    }
}
