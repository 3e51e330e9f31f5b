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
            float max = Float.NEGATIVE_INFINITY;
            for (int s = 0; s <= last; s++) {
                int ki = kOff + s * nkv * d + kvh * d;
                float dot = 0;
                for (int i = 0; i < d; i++) dot += q[qi + i] * k[ki + i];
                weights[s] = dot * scale;
                max = Math.max(max, weights[s]);
            }
            float sum = 0;
            for (int s = 0; s <= last; s++) sum += (weights[s] = (float) Math.exp(weights[s] - max));
            int oi = outOff + row * nh * d + h * d;
            for (int i = 0; i < d; i++) out[oi + i] = 0;
            for (int s = 0; s <= last; s++) {
                float p = weights[s] / sum;
                int vi = vOff + s * nkv * d + kvh * d;
                for (int i = 0; i < d; i++) out[oi + i] += p * v[vi + i];
            }
        });
    }
}
