package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * out[N, OC] = inp[N, C] · Wᵀ + bias with W in panels ({@link PanelMatrix}), for decode steps and speculative
 * verification:
 *
 * <pre>
 *   for each panel p (WIDTH outputs), rows r in groups of 4, 2, 1:
 *     acc[r][0..WIDTH) = 0
 *     for k in 0 .. C−1:  acc[r] = fma(broadcast(inp[r][k]), panel[p][k][0..WIDTH), acc[r])
 *     out[r][p·WIDTH + j] = acc[r][j] + bias[p·WIDTH + j]
 * </pre>
 *
 * Every output is the same sequence of operations whatever N is and however rows are grouped: a row's result does not
 * depend on the rows computed beside it. One row streams the weights once (the memory bound of batch-1 decode); four
 * rows use each loaded panel vector four times (5 rows of GPT-2 124M: ~1.6 one-row steps on 2 cores, not 5).
 */
final class PanelMatmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length(), W = PanelMatrix.WIDTH;

    private PanelMatmul() {}

    static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w,
                        float[] bias, int biasOff, int n) {
        pool.run(w.panels(), p -> {
            int r = 0;
            for (; r + 4 <= n; r += 4) four(out, outOff, inp, inpOff, w, bias, biasOff, p, r);
            for (; r + 2 <= n; r += 2) two(out, outOff, inp, inpOff, w, bias, biasOff, p, r);
            if (r < n) one(out, outOff, inp, inpOff, w, bias, biasOff, p, r);
        });
    }

    private static void four(float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w, float[] bias, int biasOff, int p, int r) {
        int c = w.cols(), base = p * c * W;
        float[] d = w.data();
        int i0 = inpOff + r * c, i1 = i0 + c, i2 = i1 + c, i3 = i2 + c;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int k = 0; k < c; k++) {
            int at = base + k * W;
            FloatVector w0 = FloatVector.fromArray(S, d, at), w1 = FloatVector.fromArray(S, d, at + L);
            FloatVector x0 = FloatVector.broadcast(S, inp[i0 + k]), x1 = FloatVector.broadcast(S, inp[i1 + k]);
            FloatVector x2 = FloatVector.broadcast(S, inp[i2 + k]), x3 = FloatVector.broadcast(S, inp[i3 + k]);
            a00 = x0.fma(w0, a00);
            a01 = x0.fma(w1, a01);
            a10 = x1.fma(w0, a10);
            a11 = x1.fma(w1, a11);
            a20 = x2.fma(w0, a20);
            a21 = x2.fma(w1, a21);
            a30 = x3.fma(w0, a30);
            a31 = x3.fma(w1, a31);
        }
        store(out, outOff, w, bias, biasOff, p, r, a00, a01);
        store(out, outOff, w, bias, biasOff, p, r + 1, a10, a11);
        store(out, outOff, w, bias, biasOff, p, r + 2, a20, a21);
        store(out, outOff, w, bias, biasOff, p, r + 3, a30, a31);
    }

    private static void two(float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w, float[] bias, int biasOff, int p, int r) {
        int c = w.cols(), base = p * c * W;
        float[] d = w.data();
        int i0 = inpOff + r * c, i1 = i0 + c;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
        for (int k = 0; k < c; k++) {
            int at = base + k * W;
            FloatVector w0 = FloatVector.fromArray(S, d, at), w1 = FloatVector.fromArray(S, d, at + L);
            FloatVector x0 = FloatVector.broadcast(S, inp[i0 + k]), x1 = FloatVector.broadcast(S, inp[i1 + k]);
            a00 = x0.fma(w0, a00);
            a01 = x0.fma(w1, a01);
            a10 = x1.fma(w0, a10);
            a11 = x1.fma(w1, a11);
        }
        store(out, outOff, w, bias, biasOff, p, r, a00, a01);
        store(out, outOff, w, bias, biasOff, p, r + 1, a10, a11);
    }

    private static void one(float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w, float[] bias, int biasOff, int p, int r) {
        int c = w.cols(), base = p * c * W, i0 = inpOff + r * c;
        float[] d = w.data();
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int k = 0; k < c; k++) {
            int at = base + k * W;
            FloatVector x = FloatVector.broadcast(S, inp[i0 + k]);
            a0 = x.fma(FloatVector.fromArray(S, d, at), a0);
            a1 = x.fma(FloatVector.fromArray(S, d, at + L), a1);
        }
        store(out, outOff, w, bias, biasOff, p, r, a0, a1);
    }

    /** Row r's outputs of panel p (those inside the matrix), plus bias. */
    private static void store(float[] out, int outOff, PanelMatrix w, float[] bias, int biasOff, int p, int r,
                              FloatVector a0, FloatVector a1) {
        int at = outOff + r * w.rows();
        storeVector(out, at, w.rows(), bias, biasOff, p * W, a0);
        storeVector(out, at, w.rows(), bias, biasOff, p * W + L, a1);
    }

    /** Outputs o0 … o0 + L − 1 of a row starting at out[at], those below oc (the last panel is padded). */
    private static void storeVector(float[] out, int at, int oc, float[] bias, int biasOff, int o0, FloatVector acc) {
        if (o0 + L <= oc) {
            FloatVector s = bias == null ? acc : acc.add(FloatVector.fromArray(S, bias, biasOff + o0));
            s.intoArray(out, at + o0);
            return;
        }
        for (int j = 0; o0 + j < oc; j++) out[at + o0 + j] = acc.lane(j) + (bias == null ? 0f : bias[biasOff + o0 + j]);
    }
}
