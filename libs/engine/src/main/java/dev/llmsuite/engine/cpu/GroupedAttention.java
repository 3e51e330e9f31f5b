package dev.llmsuite.engine.cpu;

/**
 * Causal grouped-query attention (Llama 3, Qwen3) for t new positions of one sequence: nh query heads share nkv key
 * and value heads, query head h reading kv head h / (nh / nkv); d values a head, scale 1/sqrt(d). Keys and values are
 * held by position (a KV cache), the new rows at start … start + t − 1 already in place; prefill is start 0, a decode
 * step t = 1.
 *
 * <pre>
 *   q   [t, nh · d]      k, v [≥ start + t, nkv · d]      out [t, nh · d]
 *   out[r, h] = Σ_{s ≤ start + r} softmax_s(q[r, h] · k[s, h / g] / sqrt(d)) · v[s, h / g],   g = nh / nkv
 * </pre>
 *
 * The dot products and weighted sums along d are GPT-2's attention's vector kernels ({@link Attention#dot},
 * {@link Attention#axpy}).
 */
public final class GroupedAttention {
    private GroupedAttention() {}

    public static void forward(WorkerPool pool, float[] out, int outOff, float[] q, int qOff, float[] k, int kOff,
                               float[] v, int vOff, int start, int t, int nh, int nkv, int d) {
        int group = nh / nkv;
        float scale = (float) (1.0 / Math.sqrt(d));
        pool.run(t * nh, task -> {
            int row = task / nh, h = task % nh, kvh = h / group, last = start + row;
            int qi = qOff + row * nh * d + h * d;
            float[] weights = new float[last + 1];
            softmax(q, qi, k, kOff, kvh, nkv, d, last, scale, weights);
            int oi = outOff + row * nh * d + h * d;
            for (int i = 0; i < d; i++) out[oi + i] = 0;
            for (int s = 0; s <= last; s++) Attention.axpy(weights[s], v, vOff + s * nkv * d + kvh * d, out, oi, d);
        });
    }

    /**
     * The gradient of {@link #forward} over a whole sequence (start 0, t rows): the softmax weights recomputed, not
     * kept. dq, dk, dv accumulate (+=); one task per key/value head owns its rows of dk and dv (the query heads that
     * read it run one after another inside it), so nothing is added to from two threads.
     *
     * <pre>
     *   p_s = softmax_s(q·k_s / √d);  dv_s += p_s · dout;  dp_s = dout · v_s;  ds_s = p_s · (dp_s − Σ_u p_u · dp_u)
     *   dq += Σ_s ds_s · k_s / √d;  dk_s += ds_s · q / √d
     * </pre>
     */
    public static void backward(WorkerPool pool, float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                float[] dout, int doutOff, float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                int t, int nh, int nkv, int d) {
        int group = nh / nkv;
        float scale = (float) (1.0 / Math.sqrt(d));
        pool.run(nkv, kvh -> {
            float[] p = new float[t], dp = new float[t];
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                for (int row = 0; row < t; row++) {
                    int qi = qOff + row * nh * d + h * d, oi = doutOff + row * nh * d + h * d;
                    softmax(q, qi, k, kOff, kvh, nkv, d, row, scale, p);
                    float weighted = 0;
                    for (int s = 0; s <= row; s++) {
                        int vi = vOff + s * nkv * d + kvh * d, dvi = dvOff + s * nkv * d + kvh * d;
                        Attention.axpy(p[s], dout, oi, dv, dvi, d);
                        dp[s] = Attention.dot(dout, oi, v, vi, d);
                        weighted += p[s] * dp[s];
                    }
                    int dqi = dqOff + row * nh * d + h * d;
                    for (int s = 0; s <= row; s++) {
                        float ds = p[s] * (dp[s] - weighted) * scale;
                        int ki = kOff + s * nkv * d + kvh * d, dki = dkOff + s * nkv * d + kvh * d;
                        Attention.axpy(ds, k, ki, dq, dqi, d);
                        Attention.axpy(ds, q, qi, dk, dki, d);
                    }
                }
            }
        });
    }

    /** p[0 … last] = softmax over s ≤ last of (q at qi) · (k row s, head kvh) · scale. */
    private static void softmax(float[] q, int qi, float[] k, int kOff, int kvh, int nkv, int d, int last, float scale, float[] p) {
        float max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s <= last; s++) {
            p[s] = Attention.dot(q, qi, k, kOff + s * nkv * d + kvh * d, d) * scale;
            max = Math.max(max, p[s]);
        }
        float sum = 0;
        for (int s = 0; s <= last; s++) sum += (p[s] = (float) Math.exp(p[s] - max));
        for (int s = 0; s <= last; s++) p[s] /= sum;
    }
}
