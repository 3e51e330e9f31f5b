package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Causal multi-head self-attention on a fused qkv[B,T,3C] (heads of hs = C/NH channels), as the CPU
 * backend computes it (scores scaled by 1/√hs, dropout on the softmax weights with the shared hash,
 * packed documents masked by their start positions), but flash-attention style: the T×T weights are
 * never stored. Forward keeps three floats per query row in the state tensor, and backward recomputes
 * each weight from q, k and the row's log-sum-exp. That is what lets GPT-2 124M train at T = 1024 in
 * one device arena (the weights alone would be 1.2·10⁹ floats at B = 8).
 *
 * <pre>
 * state[B,NH,T,3]: (lse, from, D) per query row t of head h
 *   lse  = max_s + log Σ_s exp(s − max_s)   over the keys t2 in [from, t]     (forward)
 *   from = the first position the row may see (packed documents; exact as a float below 2²⁴)
 *   D    = Σ_t2 P·dP = dout · out                                               (backward, query pass)
 * P(t, t2) = exp(q_t·k_t2/√hs − lse_t),  P̃ = P · dropout mask / (1 − p)
 * forward   out_t   = Σ_t2 P̃ v_t2
 * backward  dP      = mask/(1 − p) · dout_t·v_t2,  dS = P (dP − D_t) / √hs
 *           dq_t   += Σ_t2 dS k_t2            (one unit per query row)
 *           dk_t2  += Σ_t dS q_t,  dv_t2 += Σ_t P̃ dout_t   (one unit per key row)
 * </pre>
 * Backward runs in two launches so that no two work units write the same float. Every unit loops over
 * its row in global memory: the PoCL-safe shape (no local-memory tiles), compute O(T²·hs) as before.
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    /** Floats of state per query row. */
    public static final int STATE = 3;

    /**
     * One unit per (b, h, t). ip: out, state, qkv, b, t, c, nh, hasStarts, seed hi/lo, site hi/lo;
     * fp: dropout p, 1/(1−p). starts[b·T + t] is the first position token (b, t) may see.
     */
    public static void forward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray starts) {
        int out = ip.get(0), state = ip.get(1), qkv = ip.get(2), b = ip.get(3), t = ip.get(4), c = ip.get(5), nh = ip.get(6);
        boolean masked = ip.get(7) != 0;
        long seed = DropoutHash.join(ip.get(8), ip.get(9)), site = DropoutHash.join(ip.get(10), ip.get(11));
        float p = fp.get(0), keepScale = fp.get(1);
        int hs = c / nh;
        float scale = 1f / TornadoMath.sqrt((float) hs);
        int units = b * nh * t;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int bh = u / t, ti = u - bh * t, bi = bh / nh, h = bh - bi * nh;
            int q = qkv + (bi * t + ti) * 3 * c + h * hs;
            int from = masked ? starts.get(bi * t + ti) : 0;
            // pass 1: the row's max and sum, online
            float max = -3.4028235e38f, sum = 0f;
            for (int t2 = from; t2 <= ti; t2++) {
                float s = dot(a, q, qkv + (bi * t + t2) * 3 * c + c + h * hs, hs) * scale;
                if (s > max) {
                    sum = sum * TornadoMath.exp(max - s);
                    max = s;
                }
                sum += TornadoMath.exp(s - max);
            }
            float lse = max + TornadoMath.log(sum);
            int st = state + u * STATE;
            a.set(st, lse);
            a.set(st + 1, (float) from);
            // pass 2: out = Σ P̃ v
            int o = out + (bi * t + ti) * c + h * hs;
            for (int i = 0; i < hs; i++) a.set(o + i, 0f);
            long maskBase = ((long) bh * t + ti) * t;
            for (int t2 = from; t2 <= ti; t2++) {
                int k = qkv + (bi * t + t2) * 3 * c + c + h * hs;
                float w = TornadoMath.exp(dot(a, q, k, hs) * scale - lse);
                if (p > 0f) w = DropoutHash.uniform(seed, site, maskBase + t2) < p ? 0f : w * keepScale;
                for (int i = 0; i < hs; i++) a.set(o + i, a.get(o + i) + w * a.get(k + c + i));
            }
        }
    }

    /**
     * One unit per (b, h, t): D = Σ P·dP into the state, then dq[t] += Σ dS · k[t2].
     * ip: dqkv, dout, qkv, state, b, t, c, nh, seed hi/lo, site hi/lo; fp: p, 1/(1−p).
     */
    public static void backwardQuery(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dqkv = ip.get(0), dout = ip.get(1), qkv = ip.get(2), state = ip.get(3);
        int b = ip.get(4), t = ip.get(5), c = ip.get(6), nh = ip.get(7);
        long seed = DropoutHash.join(ip.get(8), ip.get(9)), site = DropoutHash.join(ip.get(10), ip.get(11));
        float p = fp.get(0), keepScale = fp.get(1);
        int hs = c / nh;
        float scale = 1f / TornadoMath.sqrt((float) hs);
        int units = b * nh * t;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int bh = u / t, ti = u - bh * t, bi = bh / nh, h = bh - bi * nh;
            int st = state + u * STATE;
            float lse = a.get(st);
            int from = (int) a.get(st + 1);
            int q = qkv + (bi * t + ti) * 3 * c + h * hs;
            int d = dout + (bi * t + ti) * c + h * hs;
            long maskBase = ((long) bh * t + ti) * t;
            float sumPdP = 0f;
            for (int t2 = from; t2 <= ti; t2++) {
                int k = qkv + (bi * t + t2) * 3 * c + c + h * hs;
                float mask = p > 0f && DropoutHash.uniform(seed, site, maskBase + t2) < p ? 0f : (p > 0f ? keepScale : 1f);
                float prob = TornadoMath.exp(dot(a, q, k, hs) * scale - lse);
                sumPdP += prob * mask * dot(a, d, k + c, hs);
            }
            a.set(st + 2, sumPdP);
            int dq = dqkv + (bi * t + ti) * 3 * c + h * hs;
            for (int t2 = from; t2 <= ti; t2++) {
                int k = qkv + (bi * t + t2) * 3 * c + c + h * hs;
                float mask = p > 0f && DropoutHash.uniform(seed, site, maskBase + t2) < p ? 0f : (p > 0f ? keepScale : 1f);
                float prob = TornadoMath.exp(dot(a, q, k, hs) * scale - lse);
                float ds = prob * (mask * dot(a, d, k + c, hs) - sumPdP) * scale;
                for (int i = 0; i < hs; i++) a.set(dq + i, a.get(dq + i) + ds * a.get(k + i));
            }
        }
    }

    /**
     * One unit per (b, h, t2): dk[t2] += Σ_t dS · q[t]; dv[t2] += Σ_t P̃ · dout[t], over the query rows
     * t ≥ t2 that may see t2. Runs after {@link #backwardQuery} (it reads D). Same ip and fp.
     */
    public static void backwardKeyValue(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dqkv = ip.get(0), dout = ip.get(1), qkv = ip.get(2), state = ip.get(3);
        int b = ip.get(4), t = ip.get(5), c = ip.get(6), nh = ip.get(7);
        long seed = DropoutHash.join(ip.get(8), ip.get(9)), site = DropoutHash.join(ip.get(10), ip.get(11));
        float p = fp.get(0), keepScale = fp.get(1);
        int hs = c / nh;
        float scale = 1f / TornadoMath.sqrt((float) hs);
        int units = b * nh * t;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int bh = u / t, t2 = u - bh * t, bi = bh / nh, h = bh - bi * nh;
            int k = qkv + (bi * t + t2) * 3 * c + c + h * hs;
            int dk = dqkv + (bi * t + t2) * 3 * c + c + h * hs, dv = dk + c;
            for (int ti = t2; ti < t; ti++) {
                int st = state + (bh * t + ti) * STATE;
                if ((int) a.get(st + 1) <= t2) {
                    int q = qkv + (bi * t + ti) * 3 * c + h * hs;
                    int d = dout + (bi * t + ti) * c + h * hs;
                    float mask = 1f;
                    if (p > 0f) mask = DropoutHash.uniform(seed, site, ((long) bh * t + ti) * t + t2) < p ? 0f : keepScale;
                    float prob = TornadoMath.exp(dot(a, q, k, hs) * scale - a.get(st));
                    float ds = prob * (mask * dot(a, d, k + c, hs) - a.get(st + 2)) * scale;
                    float w = prob * mask;
                    for (int i = 0; i < hs; i++) {
                        a.set(dk + i, a.get(dk + i) + ds * a.get(q + i));
                        a.set(dv + i, a.get(dv + i) + w * a.get(d + i));
                    }
                }
            }
        }
    }

    /** Σ_i a[x + i] · a[y + i]. */
    private static float dot(FloatArray a, int x, int y, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a.get(x + i) * a.get(y + i);
        return s;
    }

    /**
     * Decode for nb sequences at once, part 1: k and v of row i of qkv[nb, 3C] into row pos_i of sequence i's
     * caches [maxT, C]. seqs[3i .. 3i+2] = key cache, value cache, pos_i (uploaded with the launch). ip: qkv, nb, c.
     */
    public static void decodeStore(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray seqs) {
        int qkv = ip.get(0), nb = ip.get(1), c = ip.get(2);
        for (int u = ctx.globalIdx; u < nb * c; u += ctx.globalGroupSizeX) {
            int i = u / c, ch = u - i * c;
            int kc = seqs.get(3 * i), vc = seqs.get(3 * i + 1), pos = seqs.get(3 * i + 2);
            a.set(kc + pos * c + ch, a.get(qkv + i * 3 * c + c + ch));
            a.set(vc + pos * c + ch, a.get(qkv + i * 3 * c + 2 * c + ch));
        }
    }

    /**
     * Part 2: scratch[i, h, t2] = q_ih · k_ih[t2] / √hs for t2 ≤ pos_i, one unit per (sequence, head, t2);
     * rows are maxPos + 1 long. ip: qkv, scratch, nb, c, nh, maxPos.
     */
    public static void decodeScores(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray seqs) {
        int qkv = ip.get(0), scratch = ip.get(1), nb = ip.get(2), c = ip.get(3), nh = ip.get(4), span = ip.get(5) + 1;
        int hs = c / nh;
        float scale = 1f / TornadoMath.sqrt((float) hs);
        for (int u = ctx.globalIdx; u < nb * nh * span; u += ctx.globalGroupSizeX) {
            int ih = u / span, t2 = u - ih * span, i = ih / nh, h = ih - i * nh;
            if (t2 <= seqs.get(3 * i + 2)) {
                int kc = seqs.get(3 * i);
                a.set(scratch + u, dot(a, qkv + i * 3 * c + h * hs, kc + t2 * c + h * hs, hs) * scale);
            }
        }
    }

    /**
     * Part 3: one unit per (sequence, channel) of out[nb, C]: its head's softmax over the scores part 2 left
     * (recomputing max and sum over pos + 1 values costs less than another launch), summed over the cached
     * values. ip: out, scratch, nb, c, nh, maxPos.
     */
    public static void decodeWeighted(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray seqs) {
        int out = ip.get(0), scratch = ip.get(1), nb = ip.get(2), c = ip.get(3), nh = ip.get(4), span = ip.get(5) + 1;
        int hs = c / nh;
        for (int u = ctx.globalIdx; u < nb * c; u += ctx.globalGroupSizeX) {
            int i = u / c, ch = u - i * c, h = ch / hs;
            int vc = seqs.get(3 * i + 1), pos = seqs.get(3 * i + 2);
            int w = scratch + (i * nh + h) * span;
            float max = -3.4028235e38f;
            for (int t2 = 0; t2 <= pos; t2++) max = TornadoMath.max(max, a.get(w + t2));
            float sum = 0f, s = 0f;
            for (int t2 = 0; t2 <= pos; t2++) {
                float e = TornadoMath.exp(a.get(w + t2) - max);
                sum += e;
                s += e * a.get(vc + t2 * c + ch);
            }
            a.set(out + u, s / sum);
        }
    }
}
