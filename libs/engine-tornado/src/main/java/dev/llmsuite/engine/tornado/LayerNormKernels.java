package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * LayerNorm over the last dimension (eps 1e-5, biased variance), one row per work unit; backward split by
 * rows (dinp) and by (row chunk, channel) then channel (dw, db, two passes) so no two units write the same float.
 */
public final class LayerNormKernels {
    private static final float EPS = 1e-5f;

    private LayerNormKernels() {}

    /** out[N,C] = (x − mean)·rstd·w + b; mean[N], rstd[N] kept. ip: out, mean, rstd, inp, w, b, n, c. */
    public static void forward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int out = ip.get(0), mean = ip.get(1), rstd = ip.get(2), inp = ip.get(3), w = ip.get(4), b = ip.get(5);
        int n = ip.get(6), c = ip.get(7);
        for (int r = ctx.globalIdx; r < n; r += ctx.globalGroupSizeX) {
            int x = inp + r * c;
            float m = 0f;
            for (int i = 0; i < c; i++) m += a.get(x + i);
            m = m / c;
            float v = 0f;
            for (int i = 0; i < c; i++) {
                float d = a.get(x + i) - m;
                v += d * d;
            }
            v = v / c;
            float s = 1f / TornadoMath.sqrt(v + EPS);
            int o = out + r * c;
            for (int i = 0; i < c; i++) a.set(o + i, (a.get(x + i) - m) * s * a.get(w + i) + a.get(b + i));
            a.set(mean + r, m);
            a.set(rstd + r, s);
        }
    }

    /** dinp += (dnorm − mean(dnorm) − norm·mean(dnorm·norm))·rstd, dnorm = dout·w. ip: dinp, dout, inp, w, mean, rstd, n, c. */
    public static void backwardInput(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dinp = ip.get(0), dout = ip.get(1), inp = ip.get(2), w = ip.get(3), mean = ip.get(4), rstd = ip.get(5);
        int n = ip.get(6), c = ip.get(7);
        for (int r = ctx.globalIdx; r < n; r += ctx.globalGroupSizeX) {
            int x = inp + r * c, d = dout + r * c, g = dinp + r * c;
            float m = a.get(mean + r), s = a.get(rstd + r);
            float dnormMean = 0f, dnormNormMean = 0f;
            for (int i = 0; i < c; i++) {
                float norm = (a.get(x + i) - m) * s;
                float dnorm = a.get(w + i) * a.get(d + i);
                dnormMean += dnorm;
                dnormNormMean += dnorm * norm;
            }
            dnormMean = dnormMean / c;
            dnormNormMean = dnormNormMean / c;
            for (int i = 0; i < c; i++) {
                float norm = (a.get(x + i) - m) * s;
                float dnorm = a.get(w + i) * a.get(d + i);
                a.set(g + i, a.get(g + i) + (dnorm - dnormMean - norm * dnormNormMean) * s);
            }
        }
    }

    /**
     * First pass of dw += Σ_rows dout·norm and db += Σ_rows dout: partials[chunk, 0..C) for dw and
     * [C..2C) for db over the chunk's {@link ArenaKernels#CHUNK_ROWS} rows, one unit per (chunk, channel);
     * {@link ArenaKernels#sumChunks} adds the chunks. ip: partials, dout, inp, mean, rstd, n, c.
     */
    public static void paramPartials(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int partials = ip.get(0), dout = ip.get(1), inp = ip.get(2), mean = ip.get(3), rstd = ip.get(4);
        int n = ip.get(5), c = ip.get(6);
        int chunks = (n + ArenaKernels.CHUNK_ROWS - 1) / ArenaKernels.CHUNK_ROWS;
        for (int u = ctx.globalIdx; u < chunks * c; u += ctx.globalGroupSizeX) {
            int ch = u / c, i = u - ch * c;
            int end = Math.min(n, (ch + 1) * ArenaKernels.CHUNK_ROWS);
            float sw = 0f, sb = 0f;
            for (int r = ch * ArenaKernels.CHUNK_ROWS; r < end; r++) {
                float g = a.get(dout + r * c + i);
                float norm = (a.get(inp + r * c + i) - a.get(mean + r)) * a.get(rstd + r);
                sw += g * norm;
                sb += g;
            }
            a.set(partials + ch * 2 * c + i, sw);
            a.set(partials + ch * 2 * c + c + i, sb);
        }
    }
}
