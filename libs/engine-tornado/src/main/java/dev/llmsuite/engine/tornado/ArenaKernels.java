package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Kernels that move and reduce floats inside the device arena. Every kernel in this module takes the
 * arena {@code a}, integer arguments {@code ip} (arena offsets and sizes) and float arguments {@code fp},
 * and walks its work units with a grid-stride loop, so one fixed launch grid serves every shape
 * (changing a TornadoVM grid between launches costs tens of milliseconds).
 */
public final class ArenaKernels {
    private ArenaKernels() {}

    /** The first launch of a plan: brings the arena onto the device; touches nothing. ip: unused. */
    public static void touch(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        if (ctx.globalIdx < 0) a.set(0, fp.get(0));
    }

    /** a[dst + i] = staging[i] for i < n. ip: dst, n. */
    public static void upload(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, FloatArray staging) {
        int dst = ip.get(0), n = ip.get(1);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) a.set(dst + i, staging.get(i));
    }

    /** a[dst + i] = a[src + i] · fp[0] for i < n (fp[0] = 0 zeroes, 1 copies). ip: dst, src, n. */
    public static void copyScaled(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dst = ip.get(0), src = ip.get(1), n = ip.get(2);
        float factor = fp.get(0);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            a.set(dst + i, factor == 0f ? 0f : a.get(src + i) * factor);
        }
    }

    /** Rows per chunk of the two-pass column sums (bias and LayerNorm gradients). */
    public static final int CHUNK_ROWS = 128;

    /**
     * Second pass of a column sum: dst[j] += Σ_chunk partials[chunk, j], chunks in order (deterministic).
     * Columns below split go to dst1 + j, the rest to dst2 + (j − split): LayerNorm's dw and db in one
     * launch. ip: dst1, dst2, partials, chunks, cols, split.
     */
    public static void sumChunks(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dst1 = ip.get(0), dst2 = ip.get(1), partials = ip.get(2), chunks = ip.get(3), cols = ip.get(4), split = ip.get(5);
        for (int j = ctx.globalIdx; j < cols; j += ctx.globalGroupSizeX) {
            float s = 0f;
            for (int ch = 0; ch < chunks; ch++) s += a.get(partials + ch * cols + j);
            int o = j < split ? dst1 + j : dst2 + j - split;
            a.set(o, a.get(o) + s);
        }
    }

    /**
     * One partial Σ x² per work item into a[out + g] (g below the grid size); the host adds them in
     * double. ip: x, n, out.
     */
    public static void sumOfSquares(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int x = ip.get(0), n = ip.get(1), out = ip.get(2);
        float s = 0f;
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            float v = a.get(x + i);
            s += v * v;
        }
        a.set(out + ctx.globalIdx, s);
    }
}
