package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Causal multi-head self-attention on a fused qkv[B,T,3C] (heads of hs = C/NH channels), as the CPU
 * backend computes it: scores scaled by 1/√hs, softmax weights kept in att[B,NH,T,T], dropout on the
 * weights with the shared hash, packed documents masked by their start positions. Backward runs in two
 * launches so that no two work units write the same float: one per query row (softmax backward and dq,
 * with the score gradients left in a scratch buffer), then one per key row (dk and dv).
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /**
     * One unit per (b, h, t). ip: out, att, qkv, b, t, c, nh, hasStarts, seed hi/lo, site hi/lo;
     * fp: dropout p, 1/(1−p). starts[b·T + t] is the first position token (b, t) may see.
     */
    public static void forward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray starts) {
        int out = ip.get(0), att = ip.get(1), qkv = ip.get(2), b = ip.get(3), t = ip.get(4), c = ip.get(5), nh = ip.get(6);
        boolean masked = ip.get(7) != 0;
        long seed = DropoutHash.join(ip.get(8), ip.get(9)), site = DropoutHash.join(ip.get(10), ip.get(11));
        float p = fp.get(0), keepScale = fp.get(1);
        int hs = c / nh;
        float scale = 1f / TornadoMath.sqrt((float) hs);
        int units = b * nh * t;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int bh = u / t, ti = u - bh * t, bi = bh / nh, h = bh - bi * nh;
            int q = qkv + (bi * t + ti) * 3 * c + h * hs;
            int row = att + (bh * t + ti) * t;
            int from = masked ? starts.get(bi * t + ti) : 0;
            float max = -3.4028235e38f;
            for (int t2 = 0; t2 < t; t2++) {
                float s = 0f;
                if (t2 >= from && t2 <= ti) {
                    int k = qkv + (bi * t + t2) * 3 * c + c + h * hs;
                    for (int i = 0; i < hs; i++) s += a.get(q + i) * a.get(k + i);
                    s = s * scale;
                    max = TornadoMath.max(max, s);
                }
                a.set(row + t2, s);
            }
            float sum = 0f;
            for (int t2 = from; t2 <= ti; t2++) {
                float e = TornadoMath.exp(a.get(row + t2) - max);
                a.set(row + t2, e);
                sum += e;
            }
            float inv = 1f / sum;
            for (int t2 = from; t2 <= ti; t2++) a.set(row + t2, a.get(row + t2) * inv);
            int o = out + (bi * t + ti) * c + h * hs;
            long maskBase = ((long) bh * t + ti) * t;
            for (int i = 0; i < hs; i++) {
                float s = 0f;
                for (int t2 = from; t2 <= ti; t2++) {
                    float w = a.get(row + t2);
                    if (p > 0f) w = DropoutHash.uniform(seed, site, maskBase + t2) < p ? 0f : w * keepScale;
                    s += w * a.get(qkv + (bi * t + t2) * 3 * c + 2 * c + h * hs + i);
                }
                a.set(o + i, s);
            }
        }
    }

    /**
     * One unit per (b, h, t): dpre[t, t2] = att·(datt − Σ att·datt)·scale into scratch[B,NH,T,T], and
     * dq[t] += Σ dpre · k[t2]. ip: dqkv, dout, qkv, att, scratch, b, t, c, nh, seed hi/lo, site hi/lo; fp: p, 1/(1−p).
     */
    public static void backwardQuery(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dqkv = ip.get(0), dout = ip.get(1), qkv = ip.get(2), att = ip.get(3), scratch = ip.get(4);
        int b = ip.get(5), t = ip.get(6), c = ip.get(7), nh = ip.get(8);
        long seed = DropoutHash.join(ip.get(9), ip.get(10)), site = DropoutHash.join(ip.get(11), ip.get(12));
        float p = fp.get(0), keepScale = fp.get(1);
        int hs = c / nh;
        float scale = 1f / TornadoMath.sqrt((float) hs);
        int units = b * nh * t;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int bh = u / t, ti = u - bh * t, bi = bh / nh, h = bh - bi * nh;
            int row = att + (bh * t + ti) * t, srow = scratch + (bh * t + ti) * t;
            int d = dout + (bi * t + ti) * c + h * hs;
            long maskBase = ((long) bh * t + ti) * t;
            float dot = 0f;
            for (int t2 = 0; t2 <= ti; t2++) {
                float mask = 1f;
                if (p > 0f) mask = DropoutHash.uniform(seed, site, maskBase + t2) < p ? 0f : keepScale;
                int v = qkv + (bi * t + t2) * 3 * c + 2 * c + h * hs;
                float datt = 0f;
                for (int i = 0; i < hs; i++) datt += a.get(d + i) * a.get(v + i);
                datt = datt * mask;
                a.set(srow + t2, datt);
                dot += a.get(row + t2) * datt;
            }
            for (int t2 = 0; t2 <= ti; t2++) a.set(srow + t2, a.get(row + t2) * (a.get(srow + t2) - dot) * scale);
            int dq = dqkv + (bi * t + ti) * 3 * c + h * hs;
            for (int i = 0; i < hs; i++) {
                float s = 0f;
                for (int t2 = 0; t2 <= ti; t2++) s += a.get(srow + t2) * a.get(qkv + (bi * t + t2) * 3 * c + c + h * hs + i);
                a.set(dq + i, a.get(dq + i) + s);
            }
        }
    }

    /**
     * One unit per (b, h, t2): dk[t2] += Σ_t dpre[t, t2] · q[t]; dv[t2] += Σ_t dropout(att[t, t2]) · dout[t].
     * ip: dqkv, dout, qkv, att, scratch, b, t, c, nh, seed hi/lo, site hi/lo; fp: p, 1/(1−p).
     */
    public static void backwardKeyValue(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dqkv = ip.get(0), dout = ip.get(1), qkv = ip.get(2), att = ip.get(3), scratch = ip.get(4);
        int b = ip.get(5), t = ip.get(6), c = ip.get(7), nh = ip.get(8);
        long seed = DropoutHash.join(ip.get(9), ip.get(10)), site = DropoutHash.join(ip.get(11), ip.get(12));
        float p = fp.get(0), keepScale = fp.get(1);
        int hs = c / nh;
        int units = b * nh * t;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int bh = u / t, t2 = u - bh * t, bi = bh / nh, h = bh - bi * nh;
            int dk = dqkv + (bi * t + t2) * 3 * c + c + h * hs, dv = dk + c;
            for (int i = 0; i < hs; i++) {
                float sk = 0f, sv = 0f;
                for (int ti = t2; ti < t; ti++) {
                    float w = a.get(att + (bh * t + ti) * t + t2);
                    if (p > 0f) w = DropoutHash.uniform(seed, site, ((long) bh * t + ti) * t + t2) < p ? 0f : w * keepScale;
                    sk += a.get(scratch + (bh * t + ti) * t + t2) * a.get(qkv + (bi * t + ti) * 3 * c + h * hs + i);
                    sv += w * a.get(dout + (bi * t + ti) * c + h * hs + i);
                }
                a.set(dk + i, a.get(dk + i) + sk);
                a.set(dv + i, a.get(dv + i) + sv);
            }
        }
    }

    /** Decode, part 1: k and v of qkv[3C] into row pos of the caches [maxT, C]. ip: qkv, kc, vc, pos, c. */
    public static void decodeStore(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int qkv = ip.get(0), kc = ip.get(1), vc = ip.get(2), pos = ip.get(3), c = ip.get(4);
        for (int i = ctx.globalIdx; i < c; i += ctx.globalGroupSizeX) {
            a.set(kc + pos * c + i, a.get(qkv + c + i));
            a.set(vc + pos * c + i, a.get(qkv + 2 * c + i));
        }
    }

    /**
     * Decode, part 3: one unit per channel of out[C]. Each unit takes its head's softmax over the scores
     * {@link #decodeScores} left in scratch (recomputing max and sum over pos+1 values costs less than
     * another launch) and sums the cached values. ip: out, vc, scratch, pos, c, nh.
     */
    public static void decodeWeighted(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int out = ip.get(0), vc = ip.get(1), scratch = ip.get(2), pos = ip.get(3), c = ip.get(4), nh = ip.get(5);
        int hs = c / nh;
        for (int u = ctx.globalIdx; u < c; u += ctx.globalGroupSizeX) {
            int h = u / hs;
            int w = scratch + h * (pos + 1);
            float max = -3.4028235e38f;
            for (int t2 = 0; t2 <= pos; t2++) max = TornadoMath.max(max, a.get(w + t2));
            float sum = 0f, s = 0f;
            for (int t2 = 0; t2 <= pos; t2++) {
                float e = TornadoMath.exp(a.get(w + t2) - max);
                sum += e;
                s += e * a.get(vc + t2 * c + u);
            }
            a.set(out + u, s / sum);
        }
    }

    /** Decode, part 2: scratch[h, t2] = q_h · k_h[t2] / √hs for t2 ≤ pos, one unit per (head, t2). ip: qkv, kc, scratch, pos, c, nh. */
    public static void decodeScores(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int qkv = ip.get(0), kc = ip.get(1), scratch = ip.get(2), pos = ip.get(3), c = ip.get(4), nh = ip.get(5);
        int hs = c / nh;
        float scale = 1f / TornadoMath.sqrt((float) hs);
        int units = nh * (pos + 1);
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int h = u / (pos + 1), t2 = u - h * (pos + 1);
            float s = 0f;
            for (int i = 0; i < hs; i++) s += a.get(qkv + h * hs + i) * a.get(kc + t2 * c + h * hs + i);
            a.set(scratch + u, s * scale);
        }
    }
}
