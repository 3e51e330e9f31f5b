package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Fused softmax cross-entropy over the vocabulary; targets (−100: ignored) arrive in {@code targets}. */
public final class CrossEntropyKernels {
    private static final int IGNORE = -100;

    private CrossEntropyKernels() {}

    /** Per row: lse[r] = log Σ exp(logits), losses[r] = lse − logit[target] (0 if ignored). ip: logits, losses, lse, n, v. */
    public static void forward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray targets) {
        int logits = ip.get(0), losses = ip.get(1), lse = ip.get(2), n = ip.get(3), v = ip.get(4);
        for (int r = ctx.globalIdx; r < n; r += ctx.globalGroupSizeX) {
            int row = logits + r * v;
            float max = a.get(row);
            for (int i = 1; i < v; i++) max = TornadoMath.max(max, a.get(row + i));
            float sum = 0f;
            for (int i = 0; i < v; i++) sum += TornadoMath.exp(a.get(row + i) - max);
            float l = max + TornadoMath.log(sum);
            a.set(lse + r, l);
            int target = targets.get(r);
            a.set(losses + r, target == IGNORE ? 0f : l - a.get(row + target));
        }
    }

    /** In place: logits := (softmax − onehot(target)) · scale, 0 for ignored rows. ip: logits, lse, n, v; fp: scale. */
    public static void backward(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp, IntArray targets) {
        int logits = ip.get(0), lse = ip.get(1), n = ip.get(2), v = ip.get(3);
        float scale = fp.get(0);
        int units = n * v;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int r = u / v, j = u - r * v;
            int target = targets.get(r);
            float g = 0f;
            if (target != IGNORE) {
                g = TornadoMath.exp(a.get(logits + u) - a.get(lse + r)) * scale;
                if (j == target) g -= scale;
            }
            a.set(logits + u, g);
        }
    }
}
