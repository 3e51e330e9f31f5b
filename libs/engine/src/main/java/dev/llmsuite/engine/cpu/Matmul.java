package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
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
 * All three run one register-blocked kernel, {@link #kernel}: 6 rows × 4 vectors (64 columns) of
 * accumulators, updated by an outer product per step (4 vector loads, 6 broadcasts, 24 FMAs). Each
 * product arranges its operands so that the kernel's vector side is contiguous: the forward packs a
 * panel of Wᵀ, the weight gradient packs a panel of doutᵀ. Every output element is summed by one
 * task in a fixed order, so the result does not depend on the thread count.
 */
public final class Matmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 6;        // rows of accumulators
    private static final int NR = 4 * L;    // columns of accumulators (4 vectors)
    private static final int K_BLOCK = 256; // reduction depth per pass, so both panels stay in L1/L2

    private Matmul() {}

    /** Where the scratch buffers' data starts: on a cache line, like the backend's tensors. */
    private static final int P = CacheLineAlignment.FLOATS_TO_FIRST_LINE;

    /** Per-thread packing buffers, grown as needed: no allocation per product once warm. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[P + MR * NR]});

    /** A buffer whose floats [P, P + size) are free to use. */
    private static float[] packBuffer(int size) {
        float[][] s = SCRATCH.get();
        if (s[0].length < P + size) s[0] = new float[P + size];
        return s[0];
    }

    /**
     * The micro-kernel: C[r][0..NR) (+)= Σₖ A[r][k] · B[k][0..NR) for r < rows (≤ MR), k < depth.
     * A is read as a[aOff + r·aRow + k·aCol] (broadcast), B as rows of NR contiguous floats
     * b[bOff + k·bRow ...], C as rows c[cOff + r·cRow ...].
     */
    private static void kernel(float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int bRow,
                               float[] c, int cOff, int cRow, int rows, int depth, boolean accumulate) {
        if (rows == MR) {
            kernel6(a, aOff, aRow, aCol, b, bOff, bRow, c, cOff, cRow, depth, accumulate);
            return;
        }
        for (int r = 0; r < rows; r++) {
            int co = cOff + r * cRow;
            FloatVector c0 = accumulate ? FloatVector.fromArray(S, c, co) : FloatVector.zero(S);
            FloatVector c1 = accumulate ? FloatVector.fromArray(S, c, co + L) : FloatVector.zero(S);
            FloatVector c2 = accumulate ? FloatVector.fromArray(S, c, co + 2 * L) : FloatVector.zero(S);
            FloatVector c3 = accumulate ? FloatVector.fromArray(S, c, co + 3 * L) : FloatVector.zero(S);
            for (int k = 0; k < depth; k++) {
                int bo = bOff + k * bRow;
                FloatVector x = FloatVector.broadcast(S, a[aOff + r * aRow + k * aCol]);
                c0 = FloatVector.fromArray(S, b, bo).fma(x, c0);
                c1 = FloatVector.fromArray(S, b, bo + L).fma(x, c1);
                c2 = FloatVector.fromArray(S, b, bo + 2 * L).fma(x, c2);
                c3 = FloatVector.fromArray(S, b, bo + 3 * L).fma(x, c3);
            }
            c0.intoArray(c, co);
            c1.intoArray(c, co + L);
            c2.intoArray(c, co + 2 * L);
            c3.intoArray(c, co + 3 * L);
        }
    }

    private static void kernel6(float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int bRow,
                                float[] c, int cOff, int cRow, int depth, boolean acc) {
        int o0 = cOff, o1 = o0 + cRow, o2 = o1 + cRow, o3 = o2 + cRow, o4 = o3 + cRow, o5 = o4 + cRow;
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = acc ? FloatVector.fromArray(S, c, o0) : z, c01 = acc ? FloatVector.fromArray(S, c, o0 + L) : z;
        FloatVector c02 = acc ? FloatVector.fromArray(S, c, o0 + 2 * L) : z, c03 = acc ? FloatVector.fromArray(S, c, o0 + 3 * L) : z;
        FloatVector c10 = acc ? FloatVector.fromArray(S, c, o1) : z, c11 = acc ? FloatVector.fromArray(S, c, o1 + L) : z;
        FloatVector c12 = acc ? FloatVector.fromArray(S, c, o1 + 2 * L) : z, c13 = acc ? FloatVector.fromArray(S, c, o1 + 3 * L) : z;
        FloatVector c20 = acc ? FloatVector.fromArray(S, c, o2) : z, c21 = acc ? FloatVector.fromArray(S, c, o2 + L) : z;
        FloatVector c22 = acc ? FloatVector.fromArray(S, c, o2 + 2 * L) : z, c23 = acc ? FloatVector.fromArray(S, c, o2 + 3 * L) : z;
        FloatVector c30 = acc ? FloatVector.fromArray(S, c, o3) : z, c31 = acc ? FloatVector.fromArray(S, c, o3 + L) : z;
        FloatVector c32 = acc ? FloatVector.fromArray(S, c, o3 + 2 * L) : z, c33 = acc ? FloatVector.fromArray(S, c, o3 + 3 * L) : z;
        FloatVector c40 = acc ? FloatVector.fromArray(S, c, o4) : z, c41 = acc ? FloatVector.fromArray(S, c, o4 + L) : z;
        FloatVector c42 = acc ? FloatVector.fromArray(S, c, o4 + 2 * L) : z, c43 = acc ? FloatVector.fromArray(S, c, o4 + 3 * L) : z;
        FloatVector c50 = acc ? FloatVector.fromArray(S, c, o5) : z, c51 = acc ? FloatVector.fromArray(S, c, o5 + L) : z;
        FloatVector c52 = acc ? FloatVector.fromArray(S, c, o5 + 2 * L) : z, c53 = acc ? FloatVector.fromArray(S, c, o5 + 3 * L) : z;
        int a0 = aOff, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow, a4 = a3 + aRow, a5 = a4 + aRow;
        for (int k = 0; k < depth; k++) {
            int bo = bOff + k * bRow, ak = k * aCol;
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L), b3 = FloatVector.fromArray(S, b, bo + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + ak]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01); c02 = b2.fma(x, c02); c03 = b3.fma(x, c03);
            x = FloatVector.broadcast(S, a[a1 + ak]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11); c12 = b2.fma(x, c12); c13 = b3.fma(x, c13);
            x = FloatVector.broadcast(S, a[a2 + ak]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21); c22 = b2.fma(x, c22); c23 = b3.fma(x, c23);
            x = FloatVector.broadcast(S, a[a3 + ak]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31); c32 = b2.fma(x, c32); c33 = b3.fma(x, c33);
            x = FloatVector.broadcast(S, a[a4 + ak]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41); c42 = b2.fma(x, c42); c43 = b3.fma(x, c43);
            x = FloatVector.broadcast(S, a[a5 + ak]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51); c52 = b2.fma(x, c52); c53 = b3.fma(x, c53);
        }
        c00.intoArray(c, o0); c01.intoArray(c, o0 + L); c02.intoArray(c, o0 + 2 * L); c03.intoArray(c, o0 + 3 * L);
        c10.intoArray(c, o1); c11.intoArray(c, o1 + L); c12.intoArray(c, o1 + 2 * L); c13.intoArray(c, o1 + 3 * L);
        c20.intoArray(c, o2); c21.intoArray(c, o2 + L); c22.intoArray(c, o2 + 2 * L); c23.intoArray(c, o2 + 3 * L);
        c30.intoArray(c, o3); c31.intoArray(c, o3 + L); c32.intoArray(c, o3 + 2 * L); c33.intoArray(c, o3 + 3 * L);
        c40.intoArray(c, o4); c41.intoArray(c, o4 + L); c42.intoArray(c, o4 + 2 * L); c43.intoArray(c, o4 + 3 * L);
        c50.intoArray(c, o5); c51.intoArray(c, o5 + L); c52.intoArray(c, o5 + 2 * L); c53.intoArray(c, o5 + 3 * L);
    }

    // ---------------------------------------------------------------- forward

    /** Below this many rows, packing Wᵀ costs more than it saves: stream W's rows as dot products. */
    private static final int PACK_MIN_ROWS = 16;

    /** out = inp · Wᵀ + bias. Tasks own NR output columns; each packs its Wᵀ panel once. */
    public static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff,
                               float[] w, int wOff, float[] bias, int biasOff, int n, int c, int oc) {
        if (n < PACK_MIN_ROWS) {
            // Decode and other thin products are memory-bound: read each row of W once, contiguously.
            pool.run((oc + 63) / 64, p -> forwardNarrow(out, outOff, inp, inpOff, w, wOff, bias, biasOff,
                    n, c, oc, p * 64, Math.min(64, oc - p * 64)));
            return;
        }
        int panels = (oc + NR - 1) / NR;
        pool.run(panels, p -> {
            int o0 = p * NR, width = Math.min(NR, oc - o0);
            if (width < NR) {
                forwardNarrow(out, outOff, inp, inpOff, w, wOff, bias, biasOff, n, c, oc, o0, width);
                return;
            }
            // Wᵀ panel [C, NR]: row k holds W[o0..o0+NR)[k], contiguous for the kernel.
            float[] wt = packBuffer(c * NR);
            packTransposed(w, wOff + o0 * c, c, wt, P);
            float[] tile = SCRATCH.get()[1];
            for (int r = 0; r < n; r += MR) {
                int rows = Math.min(MR, n - r);
                for (int k0 = 0; k0 < c; k0 += K_BLOCK) {
                    int depth = Math.min(K_BLOCK, c - k0);
                    kernel(inp, inpOff + r * c + k0, c, 1, wt, P + k0 * NR, NR, tile, P, NR, rows, depth, k0 > 0);
                }
                for (int i = 0; i < rows; i++) {
                    int o = outOff + (r + i) * oc + o0;
                    for (int j = 0; j < NR; j++) out[o + j] = tile[P + i * NR + j] + (bias == null ? 0f : bias[biasOff + o0 + j]);
                }
            }
        });
    }

    /**
     * wt[to + k·NR + j] = w[from + j·c + k] for j < NR, k < c: 16 × 16 blocks transposed in registers where the vectors
     * are 16 floats ({@link BlockTranspose}), the rest eight rows of W at a time (eight contiguous read streams, eight
     * adjacent floats written per k, instead of one write per cache line).
     */
    private static void packTransposed(float[] w, int from, int c, float[] wt, int to) {
        int k0 = 0;
        if (BlockTranspose.FITS && NR % 16 == 0) {
            for (; k0 + 16 <= c; k0 += 16) {
                for (int j = 0; j < NR; j += 16) BlockTranspose.transpose(w, from + j * c + k0, c, wt, to + k0 * NR + j, NR);
            }
        }
        for (int j = 0; j < NR; j += 8) {
            int s0 = from + j * c, s1 = s0 + c, s2 = s1 + c, s3 = s2 + c, s4 = s3 + c, s5 = s4 + c, s6 = s5 + c, s7 = s6 + c;
            for (int k = k0, d = to + k0 * NR + j; k < c; k++, d += NR) {
                wt[d] = w[s0 + k];
                wt[d + 1] = w[s1 + k];
                wt[d + 2] = w[s2 + k];
                wt[d + 3] = w[s3 + k];
                wt[d + 4] = w[s4 + k];
                wt[d + 5] = w[s5 + k];
                wt[d + 6] = w[s6 + k];
                wt[d + 7] = w[s7 + k];
            }
        }
    }

    /** Columns o0..o0+width as plain dot products, W's rows read once each. */
    private static void forwardNarrow(float[] out, int outOff, float[] inp, int inpOff, float[] w, int wOff, float[] bias,
                                      int biasOff, int n, int c, int oc, int o0, int width) {
        for (int j = 0; j < width; j++) {
            int o = o0 + j;
            float b = bias == null ? 0f : bias[biasOff + o];
            int r = 0;
            for (; r + 2 <= n; r += 2) dot4TwoRows(out, outOff + r * oc + o, oc, inp, inpOff + r * c, c, w, wOff + o * c, b);
            for (; r < n; r++) out[outOff + r * oc + o] = dot4(inp, inpOff + r * c, w, wOff + o * c, c) + b;
        }
    }

    /**
     * {@link #dot4} of two input rows against one weight row, each weight vector loaded once for both: every row gets
     * exactly dot4's operations in dot4's order, so its result is the same to the bit (a row's value does not depend on
     * how many rows are computed with it; speculative decoding's verification relies on it).
     */
    private static void dot4TwoRows(float[] out, int at, int oc, float[] a, int ao, int n, float[] b, int bo, float bias) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        int a1 = ao + n, i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            FloatVector w0 = FloatVector.fromArray(S, b, bo + i), w1 = FloatVector.fromArray(S, b, bo + i + L);
            FloatVector w2 = FloatVector.fromArray(S, b, bo + i + 2 * L), w3 = FloatVector.fromArray(S, b, bo + i + 3 * L);
            s00 = FloatVector.fromArray(S, a, ao + i).fma(w0, s00);
            s01 = FloatVector.fromArray(S, a, ao + i + L).fma(w1, s01);
            s02 = FloatVector.fromArray(S, a, ao + i + 2 * L).fma(w2, s02);
            s03 = FloatVector.fromArray(S, a, ao + i + 3 * L).fma(w3, s03);
            s10 = FloatVector.fromArray(S, a, a1 + i).fma(w0, s10);
            s11 = FloatVector.fromArray(S, a, a1 + i + L).fma(w1, s11);
            s12 = FloatVector.fromArray(S, a, a1 + i + 2 * L).fma(w2, s12);
            s13 = FloatVector.fromArray(S, a, a1 + i + 3 * L).fma(w3, s13);
        }
        for (; i + L <= n; i += L) {
            FloatVector w0 = FloatVector.fromArray(S, b, bo + i);
            s00 = FloatVector.fromArray(S, a, ao + i).fma(w0, s00);
            s10 = FloatVector.fromArray(S, a, a1 + i).fma(w0, s10);
        }
        float r0 = VectorMath.sum(s00.add(s01).add(s02).add(s03)), r1 = VectorMath.sum(s10.add(s11).add(s12).add(s13));
        for (; i < n; i++) {
            r0 += a[ao + i] * b[bo + i];
            r1 += a[a1 + i] * b[bo + i];
        }
        out[at] = r0 + bias;
        out[at + oc] = r1 + bias;
    }

    /** A dot product with four independent accumulators, so FMA latency does not serialize it. */
    static float dot4(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
            s1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), s1);
            s2 = FloatVector.fromArray(S, a, ao + i + 2 * L).fma(FloatVector.fromArray(S, b, bo + i + 2 * L), s2);
            s3 = FloatVector.fromArray(S, a, ao + i + 3 * L).fma(FloatVector.fromArray(S, b, bo + i + 3 * L), s3);
        }
        for (; i + L <= n; i += L) s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
        float s = VectorMath.sum(s0.add(s1).add(s2).add(s3));
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    // ---------------------------------------------------------------- backward

    /** dinp += dout · W, dW += doutᵀ · inp, dbias += Σ dout. Any of dinp, dw, dbias may be null. */
    public static void backward(WorkerPool pool, float[] dinp, int dinpOff, float[] dw, int dwOff, float[] dbias,
                                int dbiasOff, float[] dout, int doutOff, float[] inp, int inpOff, float[] w, int wOff,
                                int n, int c, int oc) {
        if (dinp != null) {
            // Tasks own NR columns of dinp: dinp[:, j..j+NR) += dout[:, :] · W[:, j..j+NR)
            pool.run((c + NR - 1) / NR, p -> {
                int j0 = p * NR, width = Math.min(NR, c - j0);
                if (width < NR) {
                    for (int r = 0; r < n; r++) {
                        for (int o = 0; o < oc; o++) {
                            float d = dout[doutOff + r * oc + o];
                            for (int j = j0; j < j0 + width; j++) dinp[dinpOff + r * c + j] += d * w[wOff + o * c + j];
                        }
                    }
                    return;
                }
                // k-blocks outermost: one block of W's columns stays in cache for every row group.
                for (int k0 = 0; k0 < oc; k0 += K_BLOCK) {
                    for (int r = 0; r < n; r += MR) {
                        kernel(dout, doutOff + r * oc + k0, oc, 1, w, wOff + k0 * c + j0, c,
                                dinp, dinpOff + r * c + j0, c, Math.min(MR, n - r), Math.min(K_BLOCK, oc - k0), true);
                    }
                }
            });
        }
        if (dw != null || dbias != null) {
            // Tasks own MR·4 rows of dW. The kernel broadcasts dout[k][o..o+6) (adjacent in a row of dout,
            // one cache line per k) and streams inp's rows as the vector side.
            int rowsPerTask = MR * 4;
            pool.run((oc + rowsPerTask - 1) / rowsPerTask, p -> {
                int o0 = p * rowsPerTask, o1 = Math.min(oc, o0 + rowsPerTask), h = o1 - o0;
                if (dbias != null) {
                    for (int i = 0; i < h; i++) {
                        float s = 0;
                        for (int r = 0; r < n; r++) s += dout[doutOff + r * oc + o0 + i];
                        dbias[dbiasOff + o0 + i] += s;
                    }
                }
                if (dw == null) return;
                int cv = c - c % NR;
                // An inp block [K_BLOCK, NR] is loaded once for all of the task's row groups.
                for (int k0 = 0; k0 < n; k0 += K_BLOCK) {
                    for (int j0 = 0; j0 < cv; j0 += NR) {
                        for (int i = 0; i < h; i += MR) {
                            kernel(dout, doutOff + k0 * oc + o0 + i, 1, oc, inp, inpOff + k0 * c + j0, c,
                                    dw, dwOff + (o0 + i) * c + j0, c, Math.min(MR, h - i), Math.min(K_BLOCK, n - k0), true);
                        }
                    }
                }
                for (int r = 0; r < h && cv < c; r++) {
                    for (int k = 0; k < n; k++) {
                        float d = dout[doutOff + k * oc + o0 + r];
                        for (int j = cv; j < c; j++) dw[dwOff + (o0 + r) * c + j] += d * inp[inpOff + k * c + j];
                    }
                }
            });
        }
    }
}
