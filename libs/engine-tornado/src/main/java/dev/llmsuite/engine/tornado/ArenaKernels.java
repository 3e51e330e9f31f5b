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
