package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Token + position embedding; the token ids arrive in {@code ids}, uploaded with the launch. */
public final class EmbeddingKernels {
    private EmbeddingKernels() {}

    /** out[B,T,C] = wte[ids] + wpe[t]. ip: out, wte, wpe, b, t, c. */
    public static void forward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray ids) {
        int out = ip.get(0), wte = ip.get(1), wpe = ip.get(2), b = ip.get(3), t = ip.get(4), c = ip.get(5);
        int units = b * t * c;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int bt = u / c, i = u - bt * c;
            a.set(out + u, a.get(wte + ids.get(bt) * c + i) + a.get(wpe + (bt % t) * c + i));
        }
    }

    /** dwte[ids] += dout; dwpe[t] += dout. One channel per unit, tokens in order, so repeated ids never race. ip: dwte, dwpe, dout, b, t, c. */
    public static void backward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray ids) {
        int dwte = ip.get(0), dwpe = ip.get(1), dout = ip.get(2), b = ip.get(3), t = ip.get(4), c = ip.get(5);
        for (int i = ctx.globalIdx; i < c; i += ctx.globalGroupSizeX) {
            for (int bt = 0; bt < b * t; bt++) {
                float g = a.get(dout + bt * c + i);
                int e = dwte + ids.get(bt) * c + i, p = dwpe + (bt % t) * c + i;
                a.set(e, a.get(e) + g);
                a.set(p, a.get(p) + g);
            }
        }
    }
}
