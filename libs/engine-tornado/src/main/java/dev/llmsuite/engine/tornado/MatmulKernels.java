package dev.llmsuite.engine.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * out[N,OC] = inp[N,C] · w[OC,C]ᵀ + bias[OC] and its three gradients: one strided product kernel for the
 * three matrix products, in two shapes, and the bias sum.
 * <ul>
 * <li>{@link #product}: one 4 × 4 register tile per work item, straight from global memory. The safe shape
 *     (tiled kernels gave wrong answers on PoCL in TornadoVM's own tests) and the one for CPU devices.</li>
 * <li>{@link #productTiled}: a work group of 256 computes a 64 × 64 tile of C, staging 64 × 16 slices of
 *     A and B in local memory (each float read from global memory once per tile instead of 16 times) and
 *     loading them along whichever of A's and B's strides is 1, so neighbouring work items read neighbouring
 *     floats; each work item keeps a 4 × 4 tile in registers. The shape for GPUs.</li>
 * </ul>
 * Both are verified against the CPU backend on every shape the tests draw.
 */
public final class MatmulKernels {
    private MatmulKernels() {}

    /** {@link #productTiled}'s tile: TILE × TILE outputs per group of GROUP items, K slices of DEPTH. */
    static final int TILE = 64, DEPTH = 16, GROUP = 256;
    private static final int SLICE = TILE * DEPTH;

    /**
     * C[P,Q] (+)= Σ_r A(p, r) · B(q, r) (+ bias[q]) like {@link #product} (same ip), by 64 × 64 tiles staged
     * in local memory. Must run with work groups of {@link #GROUP}; each group walks tiles grid-stride, so
     * every item of a group reaches the same barriers.
     */
    public static void productTiled(KernelContext ctx, FloatArray m, IntArray ip, FloatArray fp) {
        int c = ip.get(0), a = ip.get(1), b = ip.get(2), bias = ip.get(3), np = ip.get(4), nq = ip.get(5), nr = ip.get(6);
        int aP = ip.get(7), aR = ip.get(8), bQ = ip.get(9), bR = ip.get(10);
        boolean accumulate = ip.get(11) != 0;
        float[] as = ctx.allocateFloatLocalArray(SLICE); // as[r · TILE + p]
        float[] bs = ctx.allocateFloatLocalArray(SLICE); // bs[r · TILE + q]
        int item = ctx.localIdx, tx = item % 16, ty = item / 16;
        int qTiles = (nq + TILE - 1) / TILE, tiles = ((np + TILE - 1) / TILE) * qTiles;
        int groups = ctx.globalGroupSizeX / GROUP;
        for (int tile = ctx.groupIdx; tile < tiles; tile += groups) {
            int p0 = (tile / qTiles) * TILE, q0 = (tile % qTiles) * TILE;
            float s00 = 0f, s01 = 0f, s02 = 0f, s03 = 0f, s10 = 0f, s11 = 0f, s12 = 0f, s13 = 0f;
            float s20 = 0f, s21 = 0f, s22 = 0f, s23 = 0f, s30 = 0f, s31 = 0f, s32 = 0f, s33 = 0f;
            for (int r0 = 0; r0 < nr; r0 += DEPTH) {
                for (int e = item; e < SLICE; e += GROUP) {
                    // along r where A's rows are contiguous, else along p
                    int pp = aR == 1 ? e / DEPTH : e % TILE, rr = aR == 1 ? e % DEPTH : e / TILE;
                    int p = p0 + pp, r = r0 + rr;
                    as[rr * TILE + pp] = p < np && r < nr ? m.get(a + p * aP + r * aR) : 0f;
                    int qq = bR == 1 ? e / DEPTH : e % TILE, rb = bR == 1 ? e % DEPTH : e / TILE;
                    int q = q0 + qq, rq = r0 + rb;
                    bs[rb * TILE + qq] = q < nq && rq < nr ? m.get(b + q * bQ + rq * bR) : 0f;
                }
                ctx.localBarrier();
                for (int k = 0; k < DEPTH; k++) {
                    int ao = k * TILE + ty * 4, bo = k * TILE + tx * 4;
                    float a0 = as[ao], a1 = as[ao + 1], a2 = as[ao + 2], a3 = as[ao + 3];
                    float b0 = bs[bo], b1 = bs[bo + 1], b2 = bs[bo + 2], b3 = bs[bo + 3];
                    s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
                    s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
                    s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
                    s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
                }
                ctx.localBarrier();
            }
            int p = p0 + ty * 4, q = q0 + tx * 4;
            if (q < nq) {
                store4(m, c, bias, accumulate, p, q, np, nq, s00, s01, s02, s03);
                store4(m, c, bias, accumulate, p + 1, q, np, nq, s10, s11, s12, s13);
                store4(m, c, bias, accumulate, p + 2, q, np, nq, s20, s21, s22, s23);
                store4(m, c, bias, accumulate, p + 3, q, np, nq, s30, s31, s32, s33);
            }
        }
    }

    /**
     * C[P,Q] (+)= Σ_r A(p, r) · B(q, r) (+ bias[q]), for any strides of A and B: the forward product and
     * both gradient products are this one kernel (see TornadoBackend). One 4 × 4 tile of C per work unit:
     * 8 loads feed 16 multiply-adds. Rows and columns past the edge load a clamped neighbour and are not
     * stored. ip: c, a, b, bias (−1: none), P, Q, R, aP, aR, bQ, bR, accumulate (0/1).
     */
    public static void product(KernelContext ctx, FloatArray m, IntArray ip, FloatArray fp) {
        int c = ip.get(0), a = ip.get(1), b = ip.get(2), bias = ip.get(3), np = ip.get(4), nq = ip.get(5), nr = ip.get(6);
        int aP = ip.get(7), aR = ip.get(8), bQ = ip.get(9), bR = ip.get(10);
        boolean accumulate = ip.get(11) != 0;
        int qTiles = (nq + 3) / 4, units = ((np + 3) / 4) * qTiles;
        for (int u = ctx.globalIdx; u < units; u += ctx.globalGroupSizeX) {
            int p0 = (u / qTiles) * 4, q0 = (u % qTiles) * 4;
            int x0 = a + p0 * aP, x1 = a + Math.min(p0 + 1, np - 1) * aP;
            int x2 = a + Math.min(p0 + 2, np - 1) * aP, x3 = a + Math.min(p0 + 3, np - 1) * aP;
            int y0 = b + q0 * bQ, y1 = b + Math.min(q0 + 1, nq - 1) * bQ;
            int y2 = b + Math.min(q0 + 2, nq - 1) * bQ, y3 = b + Math.min(q0 + 3, nq - 1) * bQ;
            float s00 = 0f, s01 = 0f, s02 = 0f, s03 = 0f, s10 = 0f, s11 = 0f, s12 = 0f, s13 = 0f;
            float s20 = 0f, s21 = 0f, s22 = 0f, s23 = 0f, s30 = 0f, s31 = 0f, s32 = 0f, s33 = 0f;
            for (int r = 0; r < nr; r++) {
                int ar = r * aR, br = r * bR;
                float a0 = m.get(x0 + ar), a1 = m.get(x1 + ar), a2 = m.get(x2 + ar), a3 = m.get(x3 + ar);
                float b0 = m.get(y0 + br), b1 = m.get(y1 + br), b2 = m.get(y2 + br), b3 = m.get(y3 + br);
                s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
                s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
                s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
                s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
            }
            store4(m, c, bias, accumulate, p0, q0, np, nq, s00, s01, s02, s03);
            store4(m, c, bias, accumulate, p0 + 1, q0, np, nq, s10, s11, s12, s13);
            store4(m, c, bias, accumulate, p0 + 2, q0, np, nq, s20, s21, s22, s23);
            store4(m, c, bias, accumulate, p0 + 3, q0, np, nq, s30, s31, s32, s33);
        }
    }

    /** C[p, q0..q0+3] (+)= s (+ bias), for the columns and the row that exist. */
    private static void store4(FloatArray m, int c, int bias, boolean accumulate, int p, int q0, int np, int nq,
                               float s0, float s1, float s2, float s3) {
        if (p >= np) return;
        int o = c + p * nq + q0;
        store(m, o, bias >= 0 ? bias + q0 : -1, accumulate, s0);
        if (q0 + 1 < nq) store(m, o + 1, bias >= 0 ? bias + q0 + 1 : -1, accumulate, s1);
        if (q0 + 2 < nq) store(m, o + 2, bias >= 0 ? bias + q0 + 2 : -1, accumulate, s2);
        if (q0 + 3 < nq) store(m, o + 3, bias >= 0 ? bias + q0 + 3 : -1, accumulate, s3);
    }

    private static void store(FloatArray m, int o, int bias, boolean accumulate, float s) {
        if (bias >= 0) s += m.get(bias);
        m.set(o, accumulate ? m.get(o) + s : s);
    }

    /**
     * First pass of dbias[OC] += Σ_rows dout: partials[chunk, j] = Σ dout over the chunk's
     * {@link ArenaKernels#CHUNK_ROWS} rows, one unit per (chunk, column), so B·T = 8,192 rows keep a GPU busy
     * (one unit per column would leave it to 768 threads); {@link ArenaKernels#sumChunks} adds the chunks.
     * ip: partials, dout, n, oc.
     */
    public static void biasPartials(KernelContext ctx, FloatArray a, IntArray ip, FloatArray fp) {
        int partials = ip.get(0), dout = ip.get(1), n = ip.get(2), oc = ip.get(3);
        int chunks = (n + ArenaKernels.CHUNK_ROWS - 1) / ArenaKernels.CHUNK_ROWS;
        for (int u = ctx.globalIdx; u < chunks * oc; u += ctx.globalGroupSizeX) {
            int ch = u / oc, j = u - ch * oc;
            int end = Math.min(n, (ch + 1) * ArenaKernels.CHUNK_ROWS);
            float s = 0f;
            for (int r = ch * ArenaKernels.CHUNK_ROWS; r < end; r++) s += a.get(dout + r * oc + j);
            a.set(partials + u, s);
        }
    }
}
