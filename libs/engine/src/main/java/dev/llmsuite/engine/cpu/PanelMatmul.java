package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * out[N, OC] = inp[N, C] · Wᵀ + bias with W in panels ({@link PanelMatrix}), for decode steps and speculative
 * verification:
 *
 * <pre>
 *   for each panel p (WIDTH outputs), rows r in groups of 5–9, 4, 2, 1 (the widest first):
 *     acc[r][0..WIDTH) = 0
 *     for k in 0 .. C−1:  acc[r] = fma(broadcast(inp[r][k]), panel[p][k][0..WIDTH), acc[r])
 *     out[r][p·WIDTH + j] = acc[r][j] + bias[p·WIDTH + j]
 * </pre>
 *
 * Every output is the same sequence of operations whatever N is and however rows are grouped: a row's result does not
 * depend on the rows computed beside it. One row streams the weights once (the memory bound of batch-1 decode); four
 * rows use each loaded panel vector four times, and five to nine rows go through a panel in one pass (speculative
 * verification of k + 1 rows: fewer passes over each panel, the first of which streams it in from memory; nine rows
 * in one pass took 0.28 ms on a 3072 × 768 product where five then four rows took 0.35).
 */
final class PanelMatmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length(), W = PanelMatrix.WIDTH, NINE = 9;

    private PanelMatmul() {}

    static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w,
                        float[] bias, int biasOff, int n) {
        pool.run(w.panels(), p -> {
            int r = 0;
            boolean whole = (p + 1) * W <= w.rows(); // nine() stores whole panels only
            for (; whole && n - r >= 5; r += Math.min(NINE, n - r)) nine(out, outOff, inp, inpOff, w, bias, biasOff, p, r, Math.min(NINE, n - r));
            float[] lanes = r < n ? LANES.get() : null;
            for (; r + 4 <= n; r += 4) four(out, outOff, inp, inpOff, w, bias, biasOff, p, r, lanes);
            for (; r + 2 <= n; r += 2) two(out, outOff, inp, inpOff, w, bias, biasOff, p, r, lanes);
            if (r < n) one(out, outOff, inp, inpOff, w, bias, biasOff, p, r, lanes);
        });
    }

    /**
     * Per worker thread: four rows' accumulators, stored by {@link #four}, {@link #two} and {@link #one} for
     * {@link #store}. A vector passed to a call C2 does not inline is boxed, an allocation a call, and C2 stops inlining
     * once a method's graph is big (NodeCountInliningCutoff); an array is never boxed.
     */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[4 * W]);

    /**
     * Rows r … r + rows − 1 (5 ≤ rows ≤ 9) in one pass over a whole panel: eighteen accumulators, one broadcast register
     * reused row by row. With fewer than nine rows the last row is computed again in the spare places and stored again
     * over itself (the same values), so there is no branch on the row count inside and the compiled kernel is the same
     * for every count; from memory five rows take as long this way as in a six-row kernel (0.35 ms, 3072 × 768).
     */
    private static void nine(float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w, float[] bias, int biasOff,
                             int p, int r, int rows) {
        int c = w.cols(), base = p * c * W, last = rows - 1;
        float[] d = w.data();
        int r1 = r + Math.min(1, last), r2 = r + Math.min(2, last), r3 = r + Math.min(3, last), r4 = r + Math.min(4, last);
        int r5 = r + Math.min(5, last), r6 = r + Math.min(6, last), r7 = r + Math.min(7, last), r8 = r + last;
        int i0 = inpOff + r * c, i1 = inpOff + r1 * c, i2 = inpOff + r2 * c, i3 = inpOff + r3 * c, i4 = inpOff + r4 * c;
        int i5 = inpOff + r5 * c, i6 = inpOff + r6 * c, i7 = inpOff + r7 * c, i8 = inpOff + r8 * c;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
        FloatVector a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
        FloatVector a60 = a00, a61 = a00, a70 = a00, a71 = a00, a80 = a00, a81 = a00;
        for (int k = 0; k < c; k++) {
            int at = base + k * W;
            FloatVector w0 = FloatVector.fromArray(S, d, at), w1 = FloatVector.fromArray(S, d, at + L);
            FloatVector x = FloatVector.broadcast(S, inp[i0 + k]);
            a00 = x.fma(w0, a00);
            a01 = x.fma(w1, a01);
            x = FloatVector.broadcast(S, inp[i1 + k]);
            a10 = x.fma(w0, a10);
            a11 = x.fma(w1, a11);
            x = FloatVector.broadcast(S, inp[i2 + k]);
            a20 = x.fma(w0, a20);
            a21 = x.fma(w1, a21);
            x = FloatVector.broadcast(S, inp[i3 + k]);
            a30 = x.fma(w0, a30);
            a31 = x.fma(w1, a31);
            x = FloatVector.broadcast(S, inp[i4 + k]);
            a40 = x.fma(w0, a40);
            a41 = x.fma(w1, a41);
            x = FloatVector.broadcast(S, inp[i5 + k]);
            a50 = x.fma(w0, a50);
            a51 = x.fma(w1, a51);
            x = FloatVector.broadcast(S, inp[i6 + k]);
            a60 = x.fma(w0, a60);
            a61 = x.fma(w1, a61);
            x = FloatVector.broadcast(S, inp[i7 + k]);
            a70 = x.fma(w0, a70);
            a71 = x.fma(w1, a71);
            x = FloatVector.broadcast(S, inp[i8 + k]);
            a80 = x.fma(w0, a80);
            a81 = x.fma(w1, a81);
        }
        // whole panels only: stored here directly, not through lanes and store() as the padded last panel is
        int oc = w.rows(), o = outOff + p * W;
        if (bias != null) {
            FloatVector b0 = FloatVector.fromArray(S, bias, biasOff + p * W), b1 = FloatVector.fromArray(S, bias, biasOff + p * W + L);
            a00 = a00.add(b0); a01 = a01.add(b1); a10 = a10.add(b0); a11 = a11.add(b1); a20 = a20.add(b0); a21 = a21.add(b1);
            a30 = a30.add(b0); a31 = a31.add(b1); a40 = a40.add(b0); a41 = a41.add(b1); a50 = a50.add(b0); a51 = a51.add(b1);
            a60 = a60.add(b0); a61 = a61.add(b1); a70 = a70.add(b0); a71 = a71.add(b1); a80 = a80.add(b0); a81 = a81.add(b1);
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
        a60.intoArray(out, o + r6 * oc);
        a61.intoArray(out, o + r6 * oc + L);
        a70.intoArray(out, o + r7 * oc);
        a71.intoArray(out, o + r7 * oc + L);
        a80.intoArray(out, o + r8 * oc);
        a81.intoArray(out, o + r8 * oc + L);
    }

    private static void four(float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w, float[] bias, int biasOff, int p, int r,
                             float[] lanes) {
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
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a10.intoArray(lanes, W);
        a11.intoArray(lanes, W + L);
        a20.intoArray(lanes, 2 * W);
        a21.intoArray(lanes, 2 * W + L);
        a30.intoArray(lanes, 3 * W);
        a31.intoArray(lanes, 3 * W + L);
        store(out, outOff, w, bias, biasOff, p, r, 4, lanes);
    }

    private static void two(float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w, float[] bias, int biasOff, int p, int r,
                             float[] lanes) {
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
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a10.intoArray(lanes, W);
        a11.intoArray(lanes, W + L);
        store(out, outOff, w, bias, biasOff, p, r, 2, lanes);
    }

    private static void one(float[] out, int outOff, float[] inp, int inpOff, PanelMatrix w, float[] bias, int biasOff, int p, int r,
                             float[] lanes) {
        int c = w.cols(), base = p * c * W, i0 = inpOff + r * c;
        float[] d = w.data();
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int k = 0; k < c; k++) {
            int at = base + k * W;
            FloatVector x = FloatVector.broadcast(S, inp[i0 + k]);
            a0 = x.fma(FloatVector.fromArray(S, d, at), a0);
            a1 = x.fma(FloatVector.fromArray(S, d, at + L), a1);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        store(out, outOff, w, bias, biasOff, p, r, 1, lanes);
    }

    /**
     * Rows r … r + rows − 1 of panel p's outputs (those inside the matrix; the last panel is padded), plus bias, from
     * lanes (row i's WIDTH accumulators at lanes[i·WIDTH …)).
     */
    private static void store(float[] out, int outOff, PanelMatrix w, float[] bias, int biasOff, int p, int r, int rows,
                              float[] lanes) {
        int oc = w.rows(), o0 = p * W, whole = Math.min(W, oc - o0);
        for (int i = 0; i < rows; i++) {
            int at = outOff + (r + i) * oc + o0, j = 0;
            for (; j + L <= whole; j += L) {
                FloatVector s = FloatVector.fromArray(S, lanes, i * W + j);
                if (bias != null) s = s.add(FloatVector.fromArray(S, bias, biasOff + o0 + j));
                s.intoArray(out, at + j);
            }
            for (; j < whole; j++) out[at + j] = lanes[i * W + j] + (bias == null ? 0f : bias[biasOff + o0 + j]);
        }
    }
}
