package dev.llmsuite.engine.cpu;

/**
 * Causal multi-head self-attention on a fused qkv [B, T, 3C] (query, key, value side by side, heads of
 * hs = C / NH channels each). Scores are scaled by 1/√hs, positions after t are masked, softmax gives
 * att [B, NH, T, T] (kept for backward), dropout applies to att, and the heads' outputs are written
 * merged into out [B, T, C]. Tasks own one (batch, head) each, so backward never races.
 */
public final class Attention {
    private Attention() {}

    public static void forward(WorkerPool pool, float[] out, int outOff, float[] att, int attOff, float[] qkv,
                               int qkvOff, int b, int t, int c, int nh, float dropP, long seed, long site) {
        int hs = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float keepScale = 1f / (1f - dropP);
        pool.run(b * nh, bh -> {
            int bi = bh / nh, h = bh % nh;
            for (int ti = 0; ti < t; ti++) {
                int q = qkvOff + (bi * t + ti) * 3 * c + h * hs;
                int a = attOff + (bh * t + ti) * t;
                float max = Float.NEGATIVE_INFINITY;
                for (int t2 = 0; t2 <= ti; t2++) {
                    int k = qkvOff + (bi * t + t2) * 3 * c + c + h * hs;
                    float s = 0;
                    for (int i = 0; i < hs; i++) s += qkv[q + i] * qkv[k + i];
                    s *= scale;
                    att[a + t2] = s;
                    if (s > max) max = s;
                }
                float sum = 0;
                for (int t2 = 0; t2 <= ti; t2++) {
                    float e = (float) Math.exp(att[a + t2] - max);
                    att[a + t2] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int t2 = 0; t2 <= ti; t2++) att[a + t2] *= inv;
                for (int t2 = ti + 1; t2 < t; t2++) att[a + t2] = 0f;
                int o = outOff + (bi * t + ti) * c + h * hs;
                for (int i = 0; i < hs; i++) out[o + i] = 0f;
                for (int t2 = 0; t2 <= ti; t2++) {
                    float w = att[a + t2];
                    if (dropP > 0f) w = Dropout.uniform(seed, site, (long) (bh * t + ti) * t + t2) < dropP ? 0f : w * keepScale;
                    int v = qkvOff + (bi * t + t2) * 3 * c + 2 * c + h * hs;
                    for (int i = 0; i < hs; i++) out[o + i] += w * qkv[v + i];
                }
            }
        });
    }

    /** dqkv += the gradient of out with respect to qkv, given dout [B, T, C] and the forward's att. */
    public static void backward(WorkerPool pool, float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv,
                                int qkvOff, float[] att, int attOff, int b, int t, int c, int nh, float dropP,
                                long seed, long site) {
        int hs = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float keepScale = 1f / (1f - dropP);
        pool.run(b * nh, bh -> {
            int bi = bh / nh, h = bh % nh;
            float[] datt = new float[t];
            for (int ti = 0; ti < t; ti++) {
                int a = attOff + (bh * t + ti) * t;
                int d = doutOff + (bi * t + ti) * c + h * hs;
                // through out = Σ dropout(att) · v
                for (int t2 = 0; t2 <= ti; t2++) {
                    float mask = 1f;
                    if (dropP > 0f) mask = Dropout.uniform(seed, site, (long) (bh * t + ti) * t + t2) < dropP ? 0f : keepScale;
                    int v = qkvOff + (bi * t + t2) * 3 * c + 2 * c + h * hs;
                    int dv = dqkvOff + (bi * t + t2) * 3 * c + 2 * c + h * hs;
                    float w = att[a + t2] * mask;
                    float g = 0;
                    for (int i = 0; i < hs; i++) {
                        g += dout[d + i] * qkv[v + i];
                        dqkv[dv + i] += w * dout[d + i];
                    }
                    datt[t2] = g * mask;
                }
                // through softmax: dpre = att · (datt - Σ att · datt)
                float dot = 0;
                for (int t2 = 0; t2 <= ti; t2++) dot += att[a + t2] * datt[t2];
                int q = qkvOff + (bi * t + ti) * 3 * c + h * hs;
                int dq = dqkvOff + (bi * t + ti) * 3 * c + h * hs;
                for (int t2 = 0; t2 <= ti; t2++) {
                    float dpre = att[a + t2] * (datt[t2] - dot) * scale;
                    int k = qkvOff + (bi * t + t2) * 3 * c + c + h * hs;
                    int dk = dqkvOff + (bi * t + t2) * 3 * c + c + h * hs;
                    for (int i = 0; i < hs; i++) {
                        dqkv[dq + i] += dpre * qkv[k + i];
                        dqkv[dk + i] += dpre * qkv[q + i];
                    }
                }
            }
        });
    }

    /** One new position against a KV cache [maxT, C]: store k and v at pos, attend over 0..pos. */
    public static void decode(WorkerPool pool, float[] out, int outOff, float[] qkv, int qkvOff, float[] kc, int kcOff,
                              float[] vc, int vcOff, int pos, int c, int nh) {
        int hs = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hs));
        System.arraycopy(qkv, qkvOff + c, kc, kcOff + pos * c, c);
        System.arraycopy(qkv, qkvOff + 2 * c, vc, vcOff + pos * c, c);
        pool.run(nh, h -> {
            float[] w = new float[pos + 1];
            float max = Float.NEGATIVE_INFINITY;
            for (int t2 = 0; t2 <= pos; t2++) {
                float s = 0;
                for (int i = 0; i < hs; i++) s += qkv[qkvOff + h * hs + i] * kc[kcOff + t2 * c + h * hs + i];
                w[t2] = s * scale;
                max = Math.max(max, w[t2]);
            }
            float sum = 0;
            for (int t2 = 0; t2 <= pos; t2++) sum += (w[t2] = (float) Math.exp(w[t2] - max));
            int o = outOff + h * hs;
            for (int i = 0; i < hs; i++) out[o + i] = 0f;
            for (int t2 = 0; t2 <= pos; t2++) {
                float a = w[t2] / sum;
                for (int i = 0; i < hs; i++) out[o + i] += a * vc[vcOff + t2 * c + h * hs + i];
            }
        });
    }
}
