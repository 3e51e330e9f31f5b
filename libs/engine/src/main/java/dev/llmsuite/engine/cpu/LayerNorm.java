package dev.llmsuite.engine.cpu;

/**
 * LayerNorm over the last dimension, eps 1e-5, biased variance (as PyTorch):
 * out = (x - mean) · rstd · weight + bias, with mean and rstd = 1/sqrt(var + eps) kept for backward.
 */
public final class LayerNorm {
    public static final float EPS = 1e-5f;
    private static final int ROWS = 16; // rows per task, and per partial sum of dweight/dbias

    private LayerNorm() {}

    /** inp, out [N, C]; mean, rstd [N]. */
    public static void forward(WorkerPool pool, float[] out, int outOff, float[] mean, int meanOff, float[] rstd,
                               int rstdOff, float[] inp, int inpOff, float[] w, int wOff, float[] bias, int bOff,
                               int n, int c) {
        pool.run((n + ROWS - 1) / ROWS, task -> {
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                int x = inpOff + r * c;
                float m = 0;
                for (int i = 0; i < c; i++) m += inp[x + i];
                m /= c;
                float v = 0;
                for (int i = 0; i < c; i++) {
                    float d = inp[x + i] - m;
                    v += d * d;
                }
                v /= c;
                float s = (float) (1.0 / Math.sqrt(v + EPS));
                int o = outOff + r * c;
                for (int i = 0; i < c; i++) out[o + i] = (inp[x + i] - m) * s * w[wOff + i] + bias[bOff + i];
                mean[meanOff + r] = m;
                rstd[rstdOff + r] = s;
            }
        });
    }

    /**
     * dinp += (dnorm - mean(dnorm) - norm · mean(dnorm · norm)) · rstd with dnorm = dout · weight;
     * dweight += Σ dout · norm; dbias += Σ dout. Partial sums per block of rows, added in block order.
     */
    public static void backward(WorkerPool pool, float[] dinp, int dinpOff, float[] dw, int dwOff, float[] db,
                                int dbOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] w, int wOff,
                                float[] mean, int meanOff, float[] rstd, int rstdOff, int n, int c) {
        int blocks = (n + ROWS - 1) / ROWS;
        float[] partial = new float[blocks * 2 * c];
        pool.run(blocks, task -> {
            int pw = task * 2 * c, pb = pw + c;
            for (int r = task * ROWS; r < Math.min(n, task * ROWS + ROWS); r++) {
                int x = inpOff + r * c, d = doutOff + r * c, g = dinpOff + r * c;
                float m = mean[meanOff + r], s = rstd[rstdOff + r];
                float dnormMean = 0, dnormNormMean = 0;
                for (int i = 0; i < c; i++) {
                    float norm = (inp[x + i] - m) * s;
                    float dnorm = w[wOff + i] * dout[d + i];
                    dnormMean += dnorm;
                    dnormNormMean += dnorm * norm;
                }
                dnormMean /= c;
                dnormNormMean /= c;
                for (int i = 0; i < c; i++) {
                    float norm = (inp[x + i] - m) * s;
                    float dnorm = w[wOff + i] * dout[d + i];
                    partial[pw + i] += dout[d + i] * norm;
                    partial[pb + i] += dout[d + i];
                    dinp[g + i] += (dnorm - dnormMean - norm * dnormNormMean) * s;
                }
            }
        });
        for (int blk = 0; blk < blocks; blk++) {
            for (int i = 0; i < c; i++) {
                dw[dwOff + i] += partial[blk * 2 * c + i];
                db[dbOff + i] += partial[blk * 2 * c + c + i];
            }
        }
    }
}
