package dev.llmsuite.engine.tornado;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;

/**
 * A start-up proof that the device computes: a small matrix product with bias and a GELU, whose answers
 * are worked out here on the host. A device that compiles kernels wrongly, or a driver that silently
 * falls back, fails it, and the service runs on the CPU instead.
 */
final class KnownAnswerCheck {
    private KnownAnswerCheck() {}

    static void run(ComputeBackend be) {
        int n = 3, c = 5, oc = 7;
        float[] x = new float[n * c], w = new float[oc * c], bias = new float[oc];
        for (int i = 0; i < x.length; i++) x[i] = (i % 7 - 3) * 0.25f;
        for (int i = 0; i < w.length; i++) w[i] = (i % 5 - 2) * 0.5f;
        for (int i = 0; i < oc; i++) bias[i] = i * 0.125f;
        Tensor tx = be.allocate(x.length), tw = be.allocate(w.length), tb = be.allocate(oc), out = be.allocate(n * oc), g = be.allocate(n * oc);
        be.write(tx, 0, x, 0, x.length);
        be.write(tw, 0, w, 0, w.length);
        be.write(tb, 0, bias, 0, oc);
        be.matmulForward(out, tx, tw, tb, n, c, oc);
        be.geluForward(g, out, n * oc);
        float[] got = new float[n * oc], gelu = new float[n * oc];
        be.read(out, 0, got, 0, got.length);
        be.read(g, 0, gelu, 0, gelu.length);
        for (Tensor t : new Tensor[] {tx, tw, tb, out, g}) be.release(t);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < oc; j++) {
                double s = bias[j];
                for (int k = 0; k < c; k++) s += (double) x[i * c + k] * w[j * c + k];
                double gs = 0.5 * s * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (s + 0.044715 * s * s * s)));
                if (Math.abs(got[i * oc + j] - s) > 1e-4 || Math.abs(gelu[i * oc + j] - gs) > 1e-4) {
                    throw new IllegalStateException("known-answer check failed at (" + i + ", " + j + "): matmul "
                            + got[i * oc + j] + " vs " + s + ", gelu " + gelu[i * oc + j] + " vs " + gs);
                }
            }
        }
    }
}
