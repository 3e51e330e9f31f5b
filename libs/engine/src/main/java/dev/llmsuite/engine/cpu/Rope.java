package dev.llmsuite.engine.cpu;

/**
 * Rotary position embeddings in the Hugging Face layout ("rotate half"): in each head of d values, the pairs
 * (x_i, x_{i+d/2}) for i < d/2 turn by the angle pos · invFreq[i]:
 *
 * <pre>
 *   x_i'       = x_i · cos θ − x_{i+d/2} · sin θ
 *   x_{i+d/2}' = x_{i+d/2} · cos θ + x_i · sin θ,      θ = pos · invFreq[i]  (in double, then rounded)
 * </pre>
 *
 * In place on x[N, heads · d], row r at position start + r. Backward is the same turn by −θ.
 */
public final class Rope {
    private static final int ROWS = 8;

    private Rope() {}

    public static void forward(WorkerPool pool, float[] x, int off, int n, int heads, int d, int start, float[] invFreq) {
        turn(pool, x, off, n, heads, d, start, invFreq, 1);
    }

    /** The gradient through a turn by θ is the turn by −θ, in place on dx [N, heads · d]. */
    public static void backward(WorkerPool pool, float[] dx, int off, int n, int heads, int d, int start, float[] invFreq) {
        turn(pool, dx, off, n, heads, d, start, invFreq, -1);
    }

    private static void turn(WorkerPool pool, float[] x, int off, int n, int heads, int d, int start, float[] invFreq, int sign) {
        int half = d / 2;
        pool.run((n + ROWS - 1) / ROWS, task -> {
            float[] cos = new float[half], sin = new float[half];
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                for (int i = 0; i < half; i++) {
                    double angle = (double) (start + r) * invFreq[i];
                    cos[i] = (float) Math.cos(angle);
                    sin[i] = sign * (float) Math.sin(angle);
                }
                for (int h = 0; h < heads; h++) {
                    int base = off + r * heads * d + h * d;
                    for (int i = 0; i < half; i++) {
                        float a = x[base + i], b = x[base + half + i];
                        x[base + i] = a * cos[i] - b * sin[i];
                        x[base + half + i] = b * cos[i] + a * sin[i];
                    }
                }
            }
        });
    }
}
