package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * out[N,OC] = inp[N,C] · w[OC,C]ᵀ + bias[OC] and its three gradients, one output element per work
 * unit. Plain loops, no local-memory tiles: tiled kernels gave wrong answers on PoCL in TornadoVM's own
 * tests, and these are verified against the CPU backend on every shape the tests draw.
 */
public final class MatmulKernels {
    private MatmulKernels() {}

    /** ip: out, inp, w, bias (−1: none), n, c, oc. */
    public static void forward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int out = ip.get(0), inp = ip.get(1), w = ip.get(2), bias = ip.get(3), n = ip.get(4), c = ip.get(5), oc = ip.get(6);
        int units = n * oc;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int i = u / oc, j = u - i * oc;
            int x = inp + i * c, y = w + j * c;
            float s = 0f;
            for (int k = 0; k < c; k++) s += a.get(x + k) * a.get(y + k);
            if (bias >= 0) s += a.get(bias + j);
            a.set(out + u, s);
        }
    }

    /** dinp[N,C] += dout[N,OC] · w[OC,C]. ip: dinp, dout, w, n, c, oc. */
    public static void backwardInput(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dinp = ip.get(0), dout = ip.get(1), w = ip.get(2), n = ip.get(3), c = ip.get(4), oc = ip.get(5);
        int units = n * c;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int i = u / c, k = u - i * c;
            int d = dout + i * oc;
            float s = 0f;
            for (int j = 0; j < oc; j++) s += a.get(d + j) * a.get(w + j * c + k);
            a.set(dinp + u, a.get(dinp + u) + s);
        }
    }

    /** dw[OC,C] += doutᵀ · inp. ip: dw, dout, inp, n, c, oc. */
    public static void backwardWeight(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dw = ip.get(0), dout = ip.get(1), inp = ip.get(2), n = ip.get(3), c = ip.get(4), oc = ip.get(5);
        int units = oc * c;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int j = u / c, k = u - j * c;
            float s = 0f;
            for (int i = 0; i < n; i++) s += a.get(dout + i * oc + j) * a.get(inp + i * c + k);
            a.set(dw + u, a.get(dw + u) + s);
        }
    }

    /** dbias[OC] += Σ_rows dout. ip: dbias, dout, n, oc. */
    public static void backwardBias(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int db = ip.get(0), dout = ip.get(1), n = ip.get(2), oc = ip.get(3);
        for (int j = ctx.globalIdx; j < oc; j += ctx.globalGroupSizeX) {
            float s = 0f;
            for (int i = 0; i < n; i++) s += a.get(dout + i * oc + j);
            a.set(db + j, a.get(db + j) + s);
        }
    }
}
