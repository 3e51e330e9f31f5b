package dev.llmsuite.engine.cpu;

/**
 * RMSNorm over the last dimension (Llama, Qwen): out = x · rstd · weight with rstd = 1/sqrt(mean(x²) + eps), kept for
 * backward. out may be inp (row by row, each row read before it is written): Qwen3 normalizes its query and key heads
 * in place.
 *
 * <pre>
 *   forward    y_i = x_i · s · w_i,  s = (Σ x² / C + eps)^−½
 *   backward   dx_i += s · w_i · dy_i − x_i · s³ / C · Σ_j dy_j · w_j · x_j        dw_i += Σ_rows dy_i · x_i · s
 * </pre>
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

    /** dinp, dw accumulate (+=); inp and rstd as the forward left them. dw is summed row after row, one thread. */
    public static void backward(WorkerPool pool, float[] dinp, int dinpOff, float[] dw, int dwOff, float[] dout, int doutOff,
                                float[] inp, int inpOff, float[] w, int wOff, float[] rstd, int rstdOff, int n, int c) {
        pool.run((n + ROWS - 1) / ROWS, task -> {
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                int x = inpOff + r * c, dy = doutOff + r * c, dx = dinpOff + r * c;
                float s = rstd[rstdOff + r];
                double dot = 0;
                for (int i = 0; i < c; i++) dot += (double) dout[dy + i] * w[wOff + i] * inp[x + i];
                float k = (float) (dot * s * s * s / c);
                for (int i = 0; i < c; i++) dinp[dx + i] += s * w[wOff + i] * dout[dy + i] - inp[x + i] * k;
            }
        });
        for (int r = 0; r < n; r++) {
            int x = inpOff + r * c, dy = doutOff + r * c;
            float s = rstd[rstdOff + r];
            for (int i = 0; i < c; i++) dw[dwOff + i] += dout[dy + i] * inp[x + i] * s;
        }
    }
}
