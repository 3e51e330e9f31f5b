package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal multi-head self-attention on a fused qkv [B, T, 3C] (query, key, value side by side, heads of
 * hs = C / NH channels each). Scores are scaled by 1/√hs, positions after t are masked, softmax gives
 * att [B, NH, T, T] (kept for backward), dropout applies to att, and the heads' outputs are written
 * merged into out [B, T, C]. Tasks own one (batch, head) each, so backward never races. With packed
 * documents, a token also ignores positions before its document's start (their weights are 0).
 */
public final class Attention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Attention() {}

    /** Σ a[ao + i] · b[bo + i] for i < n. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float s = 0;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (; i + S.length() <= n; i += S.length()) {
                acc = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), acc);
            }
            s = VectorMath.sum(acc);
        }
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    /** y[yo + i] += alpha · x[xo + i] for i < n. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (n >= S.length()) {
            FloatVector a = FloatVector.broadcast(S, alpha);
            for (; i + S.length() <= n; i += S.length()) {
                FloatVector.fromArray(S, x, xo + i).fma(a, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] += alpha * x[xo + i];
    }

    public static void forward(WorkerPool pool, float[] out, int outOff, float[] att, int attOff, float[] qkv,
                               int qkvOff, int[] documentStarts, int b, int t, int c, int nh, float dropP, long seed, long site) {
        int hs = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float keepScale = 1f / (1f - dropP);
        pool.run(b * nh, bh -> {
            int bi = bh / nh, h = bh % nh;
            for (int ti = 0; ti < t; ti++) {
                int q = qkvOff + (bi * t + ti) * 3 * c + h * hs;
                int a = attOff + (bh * t + ti) * t;
                int from = documentStarts == null ? 0 : documentStarts[bi * t + ti];
                for (int t2 = 0; t2 < from; t2++) att[a + t2] = 0f;
                float max = Float.NEGATIVE_INFINITY;
                for (int t2 = from; t2 <= ti; t2++) {
                    int k = qkvOff + (bi * t + t2) * 3 * c + c + h * hs;
                    float s = dot(qkv, q, qkv, k, hs) * scale;
                    att[a + t2] = s;
                    if (s > max) max = s;
                }
                float sum = 0;
                for (int t2 = from; t2 <= ti; t2++) {
                    float e = (float) Math.exp(att[a + t2] - max);
                    att[a + t2] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int t2 = from; t2 <= ti; t2++) att[a + t2] *= inv;
                for (int t2 = ti + 1; t2 < t; t2++) att[a + t2] = 0f;
                int o = outOff + (bi * t + ti) * c + h * hs;
                if (hs == 4 * L) {
                    weightedSum64(out, o, att, a, qkv, qkvOff + bi * t * 3 * c + 2 * c + h * hs, 3 * c, from, ti,
                            dropP, keepScale, seed, site, (long) (bh * t + ti) * t);
                    continue;
                }
                for (int i = 0; i < hs; i++) out[o + i] = 0f;
                for (int t2 = from; t2 <= ti; t2++) {
                    float w = att[a + t2];
                    if (dropP > 0f) w = Dropout.uniform(seed, site, (long) (bh * t + ti) * t + t2) < dropP ? 0f : w * keepScale;
                    axpy(w, qkv, qkvOff + (bi * t + t2) * 3 * c + 2 * c + h * hs, out, o, hs);
                }
            }
        });
    }

    private static final int L = S.length();

    /** out[o..o+64) = Σ_{from ≤ t2 ≤ ti} dropout(att[a + t2]) · v(t2), the accumulator kept in registers. */
    private static void weightedSum64(float[] out, int o, float[] att, int a, float[] qkv, int v0, int vStride, int from, int ti,
                                      float dropP, float keepScale, long seed, long site, long maskBase) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        for (int t2 = from; t2 <= ti; t2++) {
            float w = att[a + t2];
            if (dropP > 0f) w = Dropout.uniform(seed, site, maskBase + t2) < dropP ? 0f : w * keepScale;
            if (w == 0f) continue;
            FloatVector x = FloatVector.broadcast(S, w);
            int v = v0 + t2 * vStride;
            s0 = FloatVector.fromArray(S, qkv, v).fma(x, s0);
            s1 = FloatVector.fromArray(S, qkv, v + L).fma(x, s1);
            s2 = FloatVector.fromArray(S, qkv, v + 2 * L).fma(x, s2);
            s3 = FloatVector.fromArray(S, qkv, v + 3 * L).fma(x, s3);
        }
        s0.intoArray(out, o);
        s1.intoArray(out, o + L);
        s2.intoArray(out, o + 2 * L);
        s3.intoArray(out, o + 3 * L);
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
            if (hs == 4 * L) {
                backwardHead64(dqkv, dqkvOff, dout, doutOff, qkv, qkvOff, att, attOff, bi, h, bh, t, c, scale, dropP,
                        keepScale, seed, site, datt);
                return;
            }
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
                    datt[t2] = dot(dout, d, qkv, v, hs) * mask;
                    axpy(w, dout, d, dqkv, dv, hs);
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
                    axpy(dpre, qkv, k, dqkv, dq, hs);
                    axpy(dpre, qkv, q, dqkv, dk, hs);
                }
            }
        });
    }

    /**
     * One (batch, head) of attention backward for 64-wide heads: the row's dout, q and dq stay in
     * registers while keys and values stream past.
     */
    private static void backwardHead64(float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv, int qkvOff,
                                       float[] att, int attOff, int bi, int h, int bh, int t, int c, float scale,
                                       float dropP, float keepScale, long seed, long site, float[] datt) {
        int hs = 4 * L, row = 3 * c;
        int base = qkvOff + bi * t * row + h * hs, dbase = dqkvOff + bi * t * row + h * hs;
        for (int ti = 0; ti < t; ti++) {
            int a = attOff + (bh * t + ti) * t;
            int d = doutOff + (bi * t + ti) * c + h * hs;
            FloatVector g0 = FloatVector.fromArray(S, dout, d), g1 = FloatVector.fromArray(S, dout, d + L);
            FloatVector g2 = FloatVector.fromArray(S, dout, d + 2 * L), g3 = FloatVector.fromArray(S, dout, d + 3 * L);
            long maskBase = (long) (bh * t + ti) * t;
            // through out = Σ dropout(att) · v: datt and dv
            for (int t2 = 0; t2 <= ti; t2++) {
                float mask = 1f;
                if (dropP > 0f) mask = Dropout.uniform(seed, site, maskBase + t2) < dropP ? 0f : keepScale;
                int v = base + t2 * row + 2 * c, dv = dbase + t2 * row + 2 * c;
                FloatVector p = FloatVector.fromArray(S, qkv, v).mul(g0);
                p = FloatVector.fromArray(S, qkv, v + L).fma(g1, p);
                p = FloatVector.fromArray(S, qkv, v + 2 * L).fma(g2, p);
                p = FloatVector.fromArray(S, qkv, v + 3 * L).fma(g3, p);
                datt[t2] = VectorMath.sum(p) * mask;
                float w = att[a + t2] * mask;
                if (w != 0f) {
                    FloatVector x = FloatVector.broadcast(S, w);
                    g0.fma(x, FloatVector.fromArray(S, dqkv, dv)).intoArray(dqkv, dv);
                    g1.fma(x, FloatVector.fromArray(S, dqkv, dv + L)).intoArray(dqkv, dv + L);
                    g2.fma(x, FloatVector.fromArray(S, dqkv, dv + 2 * L)).intoArray(dqkv, dv + 2 * L);
                    g3.fma(x, FloatVector.fromArray(S, dqkv, dv + 3 * L)).intoArray(dqkv, dv + 3 * L);
                }
            }
            // through softmax, then into q and k
            float dot = 0;
            for (int t2 = 0; t2 <= ti; t2++) dot += att[a + t2] * datt[t2];
            int q = base + ti * row, dq = dbase + ti * row;
            FloatVector q0 = FloatVector.fromArray(S, qkv, q), q1 = FloatVector.fromArray(S, qkv, q + L);
            FloatVector q2 = FloatVector.fromArray(S, qkv, q + 2 * L), q3 = FloatVector.fromArray(S, qkv, q + 3 * L);
            FloatVector a0 = FloatVector.fromArray(S, dqkv, dq), a1 = FloatVector.fromArray(S, dqkv, dq + L);
            FloatVector a2 = FloatVector.fromArray(S, dqkv, dq + 2 * L), a3 = FloatVector.fromArray(S, dqkv, dq + 3 * L);
            for (int t2 = 0; t2 <= ti; t2++) {
                float dpre = att[a + t2] * (datt[t2] - dot) * scale;
                if (dpre == 0f) continue;
                FloatVector x = FloatVector.broadcast(S, dpre);
                int k = base + t2 * row + c, dk = dbase + t2 * row + c;
                a0 = FloatVector.fromArray(S, qkv, k).fma(x, a0);
                a1 = FloatVector.fromArray(S, qkv, k + L).fma(x, a1);
                a2 = FloatVector.fromArray(S, qkv, k + 2 * L).fma(x, a2);
                a3 = FloatVector.fromArray(S, qkv, k + 3 * L).fma(x, a3);
                q0.fma(x, FloatVector.fromArray(S, dqkv, dk)).intoArray(dqkv, dk);
                q1.fma(x, FloatVector.fromArray(S, dqkv, dk + L)).intoArray(dqkv, dk + L);
                q2.fma(x, FloatVector.fromArray(S, dqkv, dk + 2 * L)).intoArray(dqkv, dk + 2 * L);
                q3.fma(x, FloatVector.fromArray(S, dqkv, dk + 3 * L)).intoArray(dqkv, dk + 3 * L);
            }
            a0.intoArray(dqkv, dq);
            a1.intoArray(dqkv, dq + L);
            a2.intoArray(dqkv, dq + 2 * L);
            a3.intoArray(dqkv, dq + 3 * L);
        }
    }
}
