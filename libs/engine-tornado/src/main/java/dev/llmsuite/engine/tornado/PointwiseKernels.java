package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Element-wise layers and the optimizer: residual, GELU, dropout, AdamW, as the CPU backend computes them. */
public final class PointwiseKernels {
    private static final float GELU_K = 0.7978845608028654f; // √(2/π)
    private static final float GELU_A = 0.044715f;

    private PointwiseKernels() {}

    /** out = x + y. ip: out, x, y, n. */
    public static void residualForward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int out = ip.get(0), x = ip.get(1), y = ip.get(2), n = ip.get(3);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) a.set(out + i, a.get(x + i) + a.get(y + i));
    }

    /** dx += dout; dy += dout. ip: dx, dy, dout, n. */
    public static void residualBackward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dx = ip.get(0), dy = ip.get(1), dout = ip.get(2), n = ip.get(3);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            float g = a.get(dout + i);
            a.set(dx + i, a.get(dx + i) + g);
            a.set(dy + i, a.get(dy + i) + g);
        }
    }

    /** out = 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))). ip: out, x, n. */
    public static void geluForward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int out = ip.get(0), inp = ip.get(1), n = ip.get(2);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            float x = a.get(inp + i);
            a.set(out + i, 0.5f * x * (1f + TornadoMath.tanh(GELU_K * (x + GELU_A * x * x * x))));
        }
    }

    /** dinp += dout · gelu'(x). ip: dinp, x, dout, n. */
    public static void geluBackward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int dinp = ip.get(0), inp = ip.get(1), dout = ip.get(2), n = ip.get(3);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            float x = a.get(inp + i);
            float th = TornadoMath.tanh(GELU_K * (x + GELU_A * x * x * x));
            float grad = 0.5f * (1f + th) + 0.5f * x * (1f - th * th) * GELU_K * (1f + 3f * GELU_A * x * x);
            a.set(dinp + i, a.get(dinp + i) + grad * a.get(dout + i));
        }
    }

    /** In place: x = keep ? x/(1-p) : 0, the mask hashed from (seed, site, i) as on the CPU. ip: x, n, seed hi/lo, site hi/lo; fp: p, 1/(1-p). */
    public static void dropout(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int x = ip.get(0), n = ip.get(1);
        long seed = DropoutHash.join(ip.get(2), ip.get(3)), site = DropoutHash.join(ip.get(4), ip.get(5));
        float p = fp.get(0), keepScale = fp.get(1);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            a.set(x + i, DropoutHash.uniform(seed, site, i) < p ? 0f : a.get(x + i) * keepScale);
        }
    }

    /**
     * One AdamW step in PyTorch's order. ip: params, grads, m, v, n;
     * fp: beta1, beta2, eps, decay = 1 − lr·wd, stepSize = lr / (1 − β₁ᵗ), √(1 − β₂ᵗ).
     */
    public static void adamW(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int p = ip.get(0), g = ip.get(1), m = ip.get(2), v = ip.get(3), n = ip.get(4);
        float beta1 = fp.get(0), beta2 = fp.get(1), eps = fp.get(2), decay = fp.get(3), stepSize = fp.get(4), bc2Sqrt = fp.get(5);
        for (int i = ctx.globalIdx; i < n; i += ctx.globalGroupSizeX) {
            float grad = a.get(g + i);
            float mi = beta1 * a.get(m + i) + (1f - beta1) * grad;
            float vi = beta2 * a.get(v + i) + (1f - beta2) * grad * grad;
            a.set(m + i, mi);
            a.set(v + i, vi);
            float denom = TornadoMath.sqrt(vi) / bc2Sqrt + eps;
            a.set(p + i, a.get(p + i) * decay - stepSize * mi / denom);
        }
    }
}
