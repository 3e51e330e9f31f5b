package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * out[N, OC] = inp[N, C] · Wᵀ + bias with W in panels ({@link PanelMatrix}), for decode steps and speculative
 * verification:
 *
 * <pre>
 *   for each panel p (WIDTH outputs), rows r in groups of 5–6 (five rows or more), 4, 2, 1:
 *     acc[r][0..WIDTH) = 0
 *     for k in 0 .. C−1:  acc[r] = fma(broadcast(inp[r][k]), panel[p][k][0..WIDTH), acc[r])
 *     out[r][p·WIDTH + j] = acc[r][j] + bias[p·WIDTH + j]
 * </pre>
 *
 * Every output is the same sequence of operations whatever N is and however rows are grouped: a row's result does not
 * depend on the rows computed beside it. One row streams the weights once (the memory bound of batch-1 decode); four
 * rows use each loaded panel vector four times, and five or six rows go through a panel in one pass (speculative
 * verification of k + 1 rows: fewer passes over each panel, the first of which streams it in from memory).
 */
final class PanelMatmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length(), W = PanelMatrix.WIDTH;

    private PanelMatmul() {}

    static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w,
                        float[] bias, int biasOff, int n) {
        pool.run(w.panels(), p -> {
            int r = 0;
            boolean whole = (p + 1) * W <= w.rows(); // six() stores whole panels only
            while (whole && n - r >= 5 && n - r != 8) { // 9 = 5 + 4, 8 = 4 + 4: as few passes, the widest first
                int rows = Math.min(SIX, n - r == 9 ? 5 : n - r);
                six(out, outOff, inp, inpOff, w, bias, biasOff, p, r, rows);
                r += rows;
            }
            for (; r + 4 <= n; r += 4) four(out, outOff, inp, inpOff, w, bias, biasOff, p, r);
            for (; r + 2 <= n; r += 2) two(out, outOff, inp, inpOff, w, bias, biasOff, p, r);
            if (r < n) one(out, outOff, inp, inpOff, w, bias, biasOff, p, r);
        });
    }

    private static final int SIX = 6;

    /**
     * Rows r … r + rows − 1 (rows ≤ 6) in one pass over a whole panel: twelve accumulators. With fewer than six rows
     * the last row is computed again in the spare places and stored again over itself (the same values), so there is
     * no branch on the row count inside and the compiled kernel is the same for every count.
     */
    private static void six(float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w, float[] bias, int biasOff,
                            int p, int r, int rows) {
        int c = w.cols(), base = p * c * W, last = rows - 1;
        float[] d = w.data();
        int r1 = r + Math.min(1, last), r2 = r + Math.min(2, last), r3 = r + Math.min(3, last), r4 = r + Math.min(4, last), r5 = r + last;
        int i0 = inpOff + r * c, i1 = inpOff + r1 * c, i2 = inpOff + r2 * c, i3 = inpOff + r3 * c, i4 = inpOff + r4 * c, i5 = inpOff + r5 * c;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        for (int k = 0; k < c; k++) {
            int at = base + k * W;
            FloatVector w0 = FloatVector.fromArray(S, d, at), w1 = FloatVector.fromArray(S, d, at + L);
            FloatVector x0 = FloatVector.broadcast(S, inp[i0 + k]), x1 = FloatVector.broadcast(S, inp[i1 + k]);
            FloatVector x2 = FloatVector.broadcast(S, inp[i2 + k]), x3 = FloatVector.broadcast(S, inp[i3 + k]);
            FloatVector x4 = FloatVector.broadcast(S, inp[i4 + k]), x5 = FloatVector.broadcast(S, inp[i5 + k]);
            a00 = x0.fma(w0, a00);
            a01 = x0.fma(w1, a01);
            a10 = x1.fma(w0, a10);
            a11 = x1.fma(w1, a11);
            a20 = x2.fma(w0, a20);
            a21 = x2.fma(w1, a21);
            a30 = x3.fma(w0, a30);
            a31 = x3.fma(w1, a31);
            a40 = x4.fma(w0, a40);
            a41 = x4.fma(w1, a41);
            a50 = x5.fma(w0, a50);
            a51 = x5.fma(w1, a51);
        }
        // stored here, not through store(): a call C2 does not inline would box twelve vectors a panel
        int oc = w.rows(), o = outOff + p * W;
        if (bias != null) {
            FloatVector b0 = FloatVector.fromArray(S, bias, biasOff + p * W), b1 = FloatVector.fromArray(S, bias, biasOff + p * W + L);
            a00 = a00.add(b0); a01 = a01.add(b1); a10 = a10.add(b0); a11 = a11.add(b1); a20 = a20.add(b0); a21 = a21.add(b1);
            a30 = a30.add(b0); a31 = a31.add(b1); a40 = a40.add(b0); a41 = a41.add(b1); a50 = a50.add(b0); a51 = a51.add(b1);
        }
        a00.intoArray(out, o + r * oc);
        a01.intoArray(out, o + r * oc + L);
        a10.intoArray(out, o + r1 * oc);
        a11.intoArray(out, o + r1 * oc + L);
        a20.intoArray(out, o + r2 * oc);
        a21.intoArray(out, o + r2 * oc + L);
        a30.intoArray(out, o + r3 * oc);
        a31.intoArray(out, o + r3 * oc + L);
        a40.intoArray(out, o + r4 * oc);
        a41.intoArray(out, o + r4 * oc + L);
        a50.intoArray(out, o + r5 * oc);
        a51.intoArray(out, o + r5 * oc + L);
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
        storeTail(out, at, oc, bias, biasOff, o0, acc.toArray());
    }

    /**
     * The last, padded panel's lanes below oc. Apart from {@link #storeVector} so that it stays small: compiled on its
     * own into a large method, C2 would no longer inline it, and a vector passed to a call that is not inlined is
     * boxed, an allocation per panel (a kernel with twelve accumulators ran ten times slower in one JVM that way).
     */
    private static void storeTail(float[] out, int at, int oc, float[] bias, int biasOff, int o0, float[] lanes) {
        for (int j = 0; o0 + j < oc; j++) out[at + o0 + j] = lanes[j] + (bias == null ? 0f : bias[biasOff + o0 + j]);
    }
}
