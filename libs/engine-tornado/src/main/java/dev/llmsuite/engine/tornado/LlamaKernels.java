package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The Llama 3 / Qwen3 layers (engine's model/llama) as the CPU backend computes them: RMSNorm, rotary embeddings,
 * SwiGLU and causal grouped-query attention, forward and backward. Same conventions as the other kernels: arena
 * offsets in {@code ip}, floats in {@code fp}, grid-stride loops, no two units writing one float.
 *
 * <pre>
 *   rmsNorm     y = x · s · w,  s = (Σx²/C + eps)^−½ kept;   dx += s·w·dy − x·s³/C·Σ dy·w·x;   dw += Σ_rows dy·x·s (two passes)
 *   rope        pairs (i, i + d/2) of each head turned by the row's angles: a host table of cos, sin [n, d/2, 2]
 *               (computed in double as the CPU does, so both backends turn by the same floats); backward: sin negated
 *   swiglu      y = silu(g)·u;  dg += dy·u·σ(g)(1 + g(1 − σ(g))),  du += dy·silu(g)
 *   attention   out[r,h] = Σ_{s ≤ start+r} softmax_s(q[r,h]·k[s,h/G]/√d) v[s,h/G]   (one unit per (r, h), three passes:
 *               max, sum, weighted values; nothing the size of the scores is kept)
 *   backward    per (r, h): lse and D = Σ_s p·dp = dout·out into a state;  dq[r,h] += Σ_s ds·k_s/√d
 *               per (s, kv head): dk_s += Σ_{h in group, r ≥ s} ds·q_r/√d,  dv_s += Σ p·dout_r
 *               with p = exp(q_r·k_s/√d − lse),  ds = p·(dout_r·v_s − D)
 * </pre>
 */
public final class LlamaKernels {
    private LlamaKernels() {}

    /** Floats of backward state per (row, head): lse, D. */
    public static final int STATE = 2;

    /** out[r] = table[ids[r]], one unit per value. ip: out, table, n, c. */
    public static void embedding(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray ids) {
        int out = ip.get(0), table = ip.get(1), n = ip.get(2), c = ip.get(3);
        for (int u = ctx.globalIdx; u < n * c; u += ctx.globalGroupSizeX) {
            int r = u / c, i = u - r * c;
            a.set(out + u, a.get(table + ids.get(r) * c + i));
        }
    }

    /** One unit per row. ip: out, rstd, inp, w, n, c; fp: eps. out may be inp. */
    public static void rmsNormForward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int out = ip.get(0), rstd = ip.get(1), inp = ip.get(2), w = ip.get(3), n = ip.get(4), c = ip.get(5);
        float eps = fp.get(0);
        for (int r = ctx.globalIdx; r < n; r += ctx.globalGroupSizeX) {
            int x = inp + r * c, o = out + r * c;
            float squares = 0f;
            for (int i = 0; i < c; i++) squares += a.get(x + i) * a.get(x + i);
            float s = 1f / TornadoMath.sqrt(squares / c + eps);
            for (int i = 0; i < c; i++) a.set(o + i, a.get(x + i) * s * a.get(w + i));
            a.set(rstd + r, s);
        }
    }

    /** dinp += s·w·dy − x·s³/C·Σ dy·w·x, one unit per row. ip: dinp, dout, inp, w, rstd, n, c. */
    public static void rmsNormBackwardInput(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dinp = ip.get(0), dout = ip.get(1), inp = ip.get(2), w = ip.get(3), rstd = ip.get(4), n = ip.get(5), c = ip.get(6);
        for (int r = ctx.globalIdx; r < n; r += ctx.globalGroupSizeX) {
            int x = inp + r * c, dy = dout + r * c, dx = dinp + r * c;
            float s = a.get(rstd + r);
            float dot = 0f;
            for (int i = 0; i < c; i++) dot += a.get(dy + i) * a.get(w + i) * a.get(x + i);
            float k = dot * s * s * s / c;
            for (int i = 0; i < c; i++) a.set(dx + i, a.get(dx + i) + s * a.get(w + i) * a.get(dy + i) - a.get(x + i) * k);
        }
    }

    /**
     * First pass of dw += Σ_rows dy·x·s: partials[chunk, C] over {@link ArenaKernels#CHUNK_ROWS} rows each, one unit per
     * (chunk, channel); {@link ArenaKernels#sumChunks} adds the chunks. ip: partials, dout, inp, rstd, n, c.
     */
    public static void rmsNormWeightPartials(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int partials = ip.get(0), dout = ip.get(1), inp = ip.get(2), rstd = ip.get(3), n = ip.get(4), c = ip.get(5);
        int chunks = (n + ArenaKernels.CHUNK_ROWS - 1) / ArenaKernels.CHUNK_ROWS;
        for (int u = ctx.globalIdx; u < chunks * c; u += ctx.globalGroupSizeX) {
            int ch = u / c, i = u - ch * c;
            int end = Math.min(n, (ch + 1) * ArenaKernels.CHUNK_ROWS);
            float sum = 0f;
            for (int r = ch * ArenaKernels.CHUNK_ROWS; r < end; r++) sum += a.get(dout + r * c + i) * a.get(inp + r * c + i) * a.get(rstd + r);
            a.set(partials + ch * c + i, sum);
        }
    }

    /**
     * In place on x[n, heads·d]: one unit per (row, head, pair i), the pair turned by table[row, i] = (cos, sin), sin
     * times fp[0] (1 forward, −1 backward). ip: x, table, n, heads, d.
     */
    public static void rope(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int x = ip.get(0), table = ip.get(1), n = ip.get(2), heads = ip.get(3), d = ip.get(4);
        float sign = fp.get(0);
        int half = d / 2;
        for (int u = ctx.globalIdx; u < n * heads * half; u += ctx.globalGroupSizeX) {
            int r = u / (heads * half), rest = u - r * heads * half, h = rest / half, i = rest - h * half;
            float cos = a.get(table + (r * half + i) * 2), sin = sign * a.get(table + (r * half + i) * 2 + 1);
            int base = x + r * heads * d + h * d;
            float p = a.get(base + i), q = a.get(base + half + i);
            a.set(base + i, p * cos - q * sin);
            a.set(base + half + i, q * cos + p * sin);
        }
    }

    /** out = silu(gate)·up; out may be gate. ip: out, gate, up, n. */
    public static void swigluForward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int out = ip.get(0), gate = ip.get(1), up = ip.get(2), n = ip.get(3);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            float g = a.get(gate + i);
            a.set(out + i, g / (1f + TornadoMath.exp(-g)) * a.get(up + i));
        }
    }

    /** dgate += dy·up·σ(g)(1 + g(1 − σ(g))), dup += dy·silu(g). ip: dgate, dup, dout, gate, up, n. */
    public static void swigluBackward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dgate = ip.get(0), dup = ip.get(1), dout = ip.get(2), gate = ip.get(3), up = ip.get(4), n = ip.get(5);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            float g = a.get(gate + i), sigma = 1f / (1f + TornadoMath.exp(-g)), dy = a.get(dout + i);
            a.set(dgate + i, a.get(dgate + i) + dy * a.get(up + i) * sigma * (1f + g * (1f - sigma)));
            a.set(dup + i, a.get(dup + i) + dy * g * sigma);
        }
    }

    /** One unit per (row, query head). ip: out, q, k, v, start, t, nh, nkv, d; fp: 1/√d. */
    public static void attentionForward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int out = ip.get(0), q = ip.get(1), k = ip.get(2), v = ip.get(3), start = ip.get(4), t = ip.get(5);
        int nh = ip.get(6), nkv = ip.get(7), d = ip.get(8);
        float scale = fp.get(0);
        int group = nh / nkv;
        for (int u = ctx.globalIdx; u < t * nh; u += ctx.globalGroupSizeX) {
            int row = u / nh, h = u - row * nh, kvh = h / group, last = start + row;
            int qi = q + row * nh * d + h * d, oi = out + row * nh * d + h * d;
            float lse = logSumExp(a, qi, k, kvh, nkv, d, last, scale);
            for (int i = 0; i < d; i++) a.set(oi + i, 0f);
            for (int s = 0; s <= last; s++) {
                float p = TornadoMath.exp(dot(a, qi, k + s * nkv * d + kvh * d, d) * scale - lse);
                int vi = v + s * nkv * d + kvh * d;
                for (int i = 0; i < d; i++) a.set(oi + i, a.get(oi + i) + p * a.get(vi + i));
            }
        }
    }

    /**
     * Backward over a whole sequence (start 0), part 1, one unit per (row, query head): lse and D = Σ_s p·(dout·v_s)
     * into state[(row·nh + h)·2], then dq += Σ_s ds·k_s·scale. ip: dq, state, dout, q, k, v, t, nh, nkv, d; fp: 1/√d.
     */
    public static void attentionBackwardQuery(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dq = ip.get(0), state = ip.get(1), dout = ip.get(2), q = ip.get(3), k = ip.get(4), v = ip.get(5), t = ip.get(6);
        int nh = ip.get(7), nkv = ip.get(8), d = ip.get(9);
        float scale = fp.get(0);
        int group = nh / nkv;
        for (int u = ctx.globalIdx; u < t * nh; u += ctx.globalGroupSizeX) {
            int row = u / nh, h = u - row * nh, kvh = h / group;
            int qi = q + row * nh * d + h * d, oi = dout + row * nh * d + h * d, dqi = dq + row * nh * d + h * d;
            float lse = logSumExp(a, qi, k, kvh, nkv, d, row, scale);
            float weighted = 0f;
            for (int s = 0; s <= row; s++) {
                float p = TornadoMath.exp(dot(a, qi, k + s * nkv * d + kvh * d, d) * scale - lse);
                weighted += p * dot(a, oi, v + s * nkv * d + kvh * d, d);
            }
            a.set(state + u * STATE, lse);
            a.set(state + u * STATE + 1, weighted);
            for (int s = 0; s <= row; s++) {
                int ki = k + s * nkv * d + kvh * d;
                float p = TornadoMath.exp(dot(a, qi, ki, d) * scale - lse);
                float ds = p * (dot(a, oi, v + s * nkv * d + kvh * d, d) - weighted) * scale;
                for (int i = 0; i < d; i++) a.set(dqi + i, a.get(dqi + i) + ds * a.get(ki + i));
            }
        }
    }

    /**
     * Part 2, one unit per (key position s, kv head): dk_s += Σ ds·q_r·scale and dv_s += Σ p·dout_r over the group's
     * query heads and the rows r ≥ s, from part 1's state. ip: dk, dv, state, dout, q, k, v, t, nh, nkv, d; fp: 1/√d.
     */
    public static void attentionBackwardKeyValue(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dk = ip.get(0), dv = ip.get(1), state = ip.get(2), dout = ip.get(3), q = ip.get(4), k = ip.get(5), v = ip.get(6);
        int t = ip.get(7), nh = ip.get(8), nkv = ip.get(9), d = ip.get(10);
        float scale = fp.get(0);
        int group = nh / nkv;
        for (int u = ctx.globalIdx; u < t * nkv; u += ctx.globalGroupSizeX) {
            int s = u / nkv, kvh = u - s * nkv;
            int ki = k + s * nkv * d + kvh * d, vi = v + s * nkv * d + kvh * d;
            int dki = dk + s * nkv * d + kvh * d, dvi = dv + s * nkv * d + kvh * d;
            for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                for (int row = s; row < t; row++) {
                    int qi = q + row * nh * d + h * d, oi = dout + row * nh * d + h * d, st = state + (row * nh + h) * STATE;
                    float p = TornadoMath.exp(dot(a, qi, ki, d) * scale - a.get(st));
                    float ds = p * (dot(a, oi, vi, d) - a.get(st + 1)) * scale;
                    for (int i = 0; i < d; i++) {
                        a.set(dki + i, a.get(dki + i) + ds * a.get(qi + i));
                        a.set(dvi + i, a.get(dvi + i) + p * a.get(oi + i));
                    }
                }
            }
        }
    }

    /** log Σ_{s ≤ last} exp(q·k_s·scale), online (one pass). */
    private static float logSumExp(FloatArray a, int qi, int k, int kvh, int nkv, int d, int last, float scale) {
        float max = -3.4028235e38f, sum = 0f;
        for (int s = 0; s <= last; s++) {
            float x = dot(a, qi, k + s * nkv * d + kvh * d, d) * scale;
            if (x > max) {
                sum = sum * TornadoMath.exp(max - x);
                max = x;
            }
            sum += TornadoMath.exp(x - max);
        }
        return max + TornadoMath.log(sum);
    }

    private static float dot(FloatArray a, int x, int y, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a.get(x + i) * a.get(y + i);
        return s;
    }
}
