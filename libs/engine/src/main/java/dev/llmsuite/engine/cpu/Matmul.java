package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The three products of a linear layer, W stored [OC, C] (PyTorch Linear):
 *
 * <pre>
 * forward:  out[N, OC]  = inp[N, C] · W[OC, C]ᵀ + bias[OC]
 * backward: dinp[N, C] += dout[N, OC] · W[OC, C]
 *           dW[OC, C]  += dout[N, OC]ᵀ · inp[N, C]
 *           dbias[OC]  += Σₙ dout[N, OC]
 * </pre>
 *
 * Each is blocked so the panel a task reuses stays in cache, with a register tile of 4 × 4 dot
 * products (forward) or 4 rows × 2 vectors (backward). Every output element is summed by one task in
 * a fixed order, so the result does not depend on the thread count.
 */
public final class Matmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int ROWS = 32;   // rows of inp (or W) a task owns
    private static final int CHUNK = 2 * L; // columns one backward tile spans
    private static final int O_BLOCK = 128; // rows of W kept in cache while a panel's row groups use them

    private Matmul() {}

    // ---------------------------------------------------------------- forward

    public static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff,
                               float[] w, int wOff, float[] bias, int biasOff, int n, int c, int oc) {
        int rowBlocks = (n + ROWS - 1) / ROWS;
        int colBlocks = (oc + 63) / 64;
        pool.run(rowBlocks * colBlocks, task -> {
            int n0 = (task / colBlocks) * ROWS, n1 = Math.min(n, n0 + ROWS);
            int o0 = (task % colBlocks) * 64, o1 = Math.min(oc, o0 + 64);
            forwardBlock(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, oc, n0, n1, o0, o1);
        });
    }

    private static void forwardBlock(float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff,
                                     float[] bias, int biasOff, int c, int oc, int n0, int n1, int o0, int o1) {
        int cv = c - c % L; // vectorized part of each dot product
        int n = n0;
        for (; n + 4 <= n1; n += 4) {
            int o = o0;
            for (; o + 4 <= o1; o += 4) dot4x4(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o);
            for (; o < o1; o++) for (int r = n; r < n + 4; r++) dot1(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, oc, r, o);
        }
        for (; n < n1; n++) for (int o = o0; o < o1; o++) dot1(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, oc, n, o);
    }

    /** out[n..n+3][o..o+3]: sixteen dot products over C at once. */
    private static void dot4x4(float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff,
                               float[] bias, int biasOff, int c, int cv, int oc, int n, int o) {
        int a0 = inpOff + n * c, a1 = a0 + c, a2 = a1 + c, a3 = a2 + c;
        int b0 = wOff + o * c, b1 = b0 + c, b2 = b1 + c, b3 = b2 + c;
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int k = 0; k < cv; k += L) {
            FloatVector x0 = FloatVector.fromArray(S, inp, a0 + k), x1 = FloatVector.fromArray(S, inp, a1 + k);
            FloatVector x2 = FloatVector.fromArray(S, inp, a2 + k), x3 = FloatVector.fromArray(S, inp, a3 + k);
            FloatVector y0 = FloatVector.fromArray(S, w, b0 + k), y1 = FloatVector.fromArray(S, w, b1 + k);
            FloatVector y2 = FloatVector.fromArray(S, w, b2 + k), y3 = FloatVector.fromArray(S, w, b3 + k);
            s00 = x0.fma(y0, s00); s01 = x0.fma(y1, s01); s02 = x0.fma(y2, s02); s03 = x0.fma(y3, s03);
            s10 = x1.fma(y0, s10); s11 = x1.fma(y1, s11); s12 = x1.fma(y2, s12); s13 = x1.fma(y3, s13);
            s20 = x2.fma(y0, s20); s21 = x2.fma(y1, s21); s22 = x2.fma(y2, s22); s23 = x2.fma(y3, s23);
            s30 = x3.fma(y0, s30); s31 = x3.fma(y1, s31); s32 = x3.fma(y2, s32); s33 = x3.fma(y3, s33);
        }
        // Explicit reductions: a FloatVector[] here would box every vector and spill the tile.
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s00.reduceLanes(VectorOperators.ADD), 0, 0);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s01.reduceLanes(VectorOperators.ADD), 0, 1);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s02.reduceLanes(VectorOperators.ADD), 0, 2);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s03.reduceLanes(VectorOperators.ADD), 0, 3);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s10.reduceLanes(VectorOperators.ADD), 1, 0);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s11.reduceLanes(VectorOperators.ADD), 1, 1);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s12.reduceLanes(VectorOperators.ADD), 1, 2);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s13.reduceLanes(VectorOperators.ADD), 1, 3);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s20.reduceLanes(VectorOperators.ADD), 2, 0);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s21.reduceLanes(VectorOperators.ADD), 2, 1);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s22.reduceLanes(VectorOperators.ADD), 2, 2);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s23.reduceLanes(VectorOperators.ADD), 2, 3);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s30.reduceLanes(VectorOperators.ADD), 3, 0);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s31.reduceLanes(VectorOperators.ADD), 3, 1);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s32.reduceLanes(VectorOperators.ADD), 3, 2);
        store(out, outOff, inp, inpOff, w, wOff, bias, biasOff, c, cv, oc, n, o, s33.reduceLanes(VectorOperators.ADD), 3, 3);
    }

    /** Adds the scalar tail (C not a multiple of the vector) and the bias, and stores out[n+i][o+j]. */
    private static void store(float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff, float[] bias,
                              int biasOff, int c, int cv, int oc, int n, int o, float sum, int i, int j) {
        int ai = inpOff + (n + i) * c, bj = wOff + (o + j) * c;
        for (int k = cv; k < c; k++) sum += inp[ai + k] * w[bj + k];
        out[outOff + (n + i) * oc + o + j] = sum + (bias == null ? 0f : bias[biasOff + o + j]);
    }

    private static void dot1(float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff,
                             float[] bias, int biasOff, int c, int oc, int n, int o) {
        int a = inpOff + n * c, b = wOff + o * c;
        FloatVector acc = FloatVector.zero(S);
        int k = 0;
        for (; k + L <= c; k += L) acc = FloatVector.fromArray(S, inp, a + k).fma(FloatVector.fromArray(S, w, b + k), acc);
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; k < c; k++) sum += inp[a + k] * w[b + k];
        out[outOff + n * oc + o] = sum + (bias == null ? 0f : bias[biasOff + o]);
    }

    // ---------------------------------------------------------------- backward

    /** dinp += dout · W, dW += doutᵀ · inp, dbias += Σ dout. Any of dinp, dw, dbias may be null. */
    public static void backward(WorkerPool pool, float[] dinp, int dinpOff, float[] dw, int dwOff, float[] dbias,
                                int dbiasOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] w, int wOff,
                                int n, int c, int oc) {
        if (dinp != null) {
            pool.run((n + ROWS - 1) / ROWS, task -> inputGradient(dinp, dinpOff, dout, doutOff, w, wOff,
                    c, oc, task * ROWS, Math.min(n, task * ROWS + ROWS)));
        }
        if (dw != null || dbias != null) {
            pool.run((oc + ROWS - 1) / ROWS, task -> {
                int o0 = task * ROWS, o1 = Math.min(oc, o0 + ROWS);
                if (dw != null) weightGradient(dw, dwOff, dout, doutOff, inp, inpOff, n, c, oc, o0, o1);
                if (dbias != null) {
                    for (int o = o0; o < o1; o++) {
                        float sum = 0;
                        for (int r = 0; r < n; r++) sum += dout[doutOff + r * oc + o];
                        dbias[dbiasOff + o] += sum;
                    }
                }
            });
        }
    }

    /**
     * dinp[n0..n1][:] += Σₒ dout[n][o] · W[o][:], as 4 rows × 2 vectors of C at a time, over blocks of
     * O_BLOCK rows of W so the block in use stays in cache for every row group of the panel.
     */
    private static void inputGradient(float[] dinp, int dinpOff, float[] dout, int doutOff, float[] w, int wOff,
                                      int c, int oc, int n0, int n1) {
        int cv = c - c % CHUNK;
        for (int ob = 0; ob < oc; ob += O_BLOCK) {
            int oe = Math.min(oc, ob + O_BLOCK);
            for (int k = 0; k < cv; k += CHUNK) {
                int n = n0;
                for (; n + 4 <= n1; n += 4) {
                    int d0 = doutOff + n * oc, d1 = d0 + oc, d2 = d1 + oc, d3 = d2 + oc;
                    int g0 = dinpOff + n * c + k, g1 = g0 + c, g2 = g1 + c, g3 = g2 + c;
                    FloatVector a0 = FloatVector.fromArray(S, dinp, g0), b0 = FloatVector.fromArray(S, dinp, g0 + L);
                    FloatVector a1 = FloatVector.fromArray(S, dinp, g1), b1 = FloatVector.fromArray(S, dinp, g1 + L);
                    FloatVector a2 = FloatVector.fromArray(S, dinp, g2), b2 = FloatVector.fromArray(S, dinp, g2 + L);
                    FloatVector a3 = FloatVector.fromArray(S, dinp, g3), b3 = FloatVector.fromArray(S, dinp, g3 + L);
                    for (int o = ob; o < oe; o++) {
                        int wo = wOff + o * c + k;
                        FloatVector w0 = FloatVector.fromArray(S, w, wo), w1 = FloatVector.fromArray(S, w, wo + L);
                        FloatVector x0 = FloatVector.broadcast(S, dout[d0 + o]), x1 = FloatVector.broadcast(S, dout[d1 + o]);
                        FloatVector x2 = FloatVector.broadcast(S, dout[d2 + o]), x3 = FloatVector.broadcast(S, dout[d3 + o]);
                        a0 = w0.fma(x0, a0); b0 = w1.fma(x0, b0);
                        a1 = w0.fma(x1, a1); b1 = w1.fma(x1, b1);
                        a2 = w0.fma(x2, a2); b2 = w1.fma(x2, b2);
                        a3 = w0.fma(x3, a3); b3 = w1.fma(x3, b3);
                    }
                    a0.intoArray(dinp, g0); b0.intoArray(dinp, g0 + L);
                    a1.intoArray(dinp, g1); b1.intoArray(dinp, g1 + L);
                    a2.intoArray(dinp, g2); b2.intoArray(dinp, g2 + L);
                    a3.intoArray(dinp, g3); b3.intoArray(dinp, g3 + L);
                }
                for (; n < n1; n++) {
                    for (int o = ob; o < oe; o++) {
                        float d = dout[doutOff + n * oc + o];
                        for (int j = k; j < k + CHUNK; j++) dinp[dinpOff + n * c + j] += d * w[wOff + o * c + j];
                    }
                }
            }
            for (int n = n0; n < n1; n++) {
                for (int o = ob; o < oe; o++) {
                    float d = dout[doutOff + n * oc + o];
                    for (int j = cv; j < c; j++) dinp[dinpOff + n * c + j] += d * w[wOff + o * c + j];
                }
            }
        }
    }

    /** dW[o0..o1][:] += Σₙ dout[n][o] · inp[n][:], as 4 rows of W × 2 vectors of C at a time. */
    private static void weightGradient(float[] dw, int dwOff, float[] doutFull, int doutFullOff, float[] inp, int inpOff,
                                       int n, int c, int ocFull, int o0Full, int o1Full) {
        // Pack this panel's columns of dout into [n, width]: rows of dout are far apart when OC is large.
        int width = o1Full - o0Full;
        float[] dout = new float[n * width];
        for (int r = 0; r < n; r++) System.arraycopy(doutFull, doutFullOff + r * ocFull + o0Full, dout, r * width, width);
        int doutOff = 0, oc = width, o0 = 0, o1 = width;
        dwOff += o0Full * c;
        int cv = c - c % CHUNK;
        for (int k = 0; k < cv; k += CHUNK) {
            int o = o0;
            for (; o + 4 <= o1; o += 4) {
                int g0 = dwOff + o * c + k, g1 = g0 + c, g2 = g1 + c, g3 = g2 + c;
                FloatVector a0 = FloatVector.fromArray(S, dw, g0), b0 = FloatVector.fromArray(S, dw, g0 + L);
                FloatVector a1 = FloatVector.fromArray(S, dw, g1), b1 = FloatVector.fromArray(S, dw, g1 + L);
                FloatVector a2 = FloatVector.fromArray(S, dw, g2), b2 = FloatVector.fromArray(S, dw, g2 + L);
                FloatVector a3 = FloatVector.fromArray(S, dw, g3), b3 = FloatVector.fromArray(S, dw, g3 + L);
                for (int r = 0; r < n; r++) {
                    int xo = inpOff + r * c + k, d = doutOff + r * oc + o;
                    FloatVector x0 = FloatVector.fromArray(S, inp, xo), x1 = FloatVector.fromArray(S, inp, xo + L);
                    FloatVector e0 = FloatVector.broadcast(S, dout[d]), e1 = FloatVector.broadcast(S, dout[d + 1]);
                    FloatVector e2 = FloatVector.broadcast(S, dout[d + 2]), e3 = FloatVector.broadcast(S, dout[d + 3]);
                    a0 = x0.fma(e0, a0); b0 = x1.fma(e0, b0);
                    a1 = x0.fma(e1, a1); b1 = x1.fma(e1, b1);
                    a2 = x0.fma(e2, a2); b2 = x1.fma(e2, b2);
                    a3 = x0.fma(e3, a3); b3 = x1.fma(e3, b3);
                }
                a0.intoArray(dw, g0); b0.intoArray(dw, g0 + L);
                a1.intoArray(dw, g1); b1.intoArray(dw, g1 + L);
                a2.intoArray(dw, g2); b2.intoArray(dw, g2 + L);
                a3.intoArray(dw, g3); b3.intoArray(dw, g3 + L);
            }
            for (; o < o1; o++) {
                for (int r = 0; r < n; r++) {
                    float d = dout[doutOff + r * oc + o];
                    for (int j = k; j < k + CHUNK; j++) dw[dwOff + o * c + j] += d * inp[inpOff + r * c + j];
                }
            }
        }
        for (int o = o0; o < o1; o++) {
            for (int r = 0; r < n; r++) {
                float d = dout[doutOff + r * oc + o];
                for (int j = cv; j < c; j++) dw[dwOff + o * c + j] += d * inp[inpOff + r * c + j];
            }
        }
    }
}
