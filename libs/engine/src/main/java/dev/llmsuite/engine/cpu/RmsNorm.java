package dev.llmsuite.engine.cpu;

/**
 * RMSNorm over the last dimension (Llama, Qwen): out = x · rstd · weight with rstd = 1/sqrt(mean(x²) + eps), kept for
 * backward. out may be inp (row by row, each row read before it is written): Qwen3 normalizes its query and key heads
 * in place.
 */
public final class RmsNorm {
    private static final int ROWS = 16;

    private RmsNorm() {}

    /** inp, out [N, C]; rstd [N]; weight [C]. */
    public static void forward(WorkerPool pool, float[] out, int outOff, float[] rstd, int rstdOff, float[] inp, int inpOff,
                               float[] w, int wOff, int n, int c, float eps) {
        pool.run((n + ROWS - 1) / ROWS, task -> {
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                int x = inpOff + r * c, o = outOff + r * c;
                double squares = 0;
                for (int i = 0; i < c; i++) squares += (double) inp[x + i] * inp[x + i];
                float s = (float) (1.0 / Math.sqrt(squares / c + eps));
                for (int i = 0; i < c; i++) out[o + i] = inp[x + i] * s * w[wOff + i];
                rstd[rstdOff + r] = s;
            }
        });
    }
}
