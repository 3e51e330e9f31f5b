package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * out[N, OC] = inp[N, C] · Wᵀ + bias with W in 8 bits ({@link Int8Matrix}), for decode steps: they
 * are bound by reading the weights, and 8 bits read a quarter of fp32's bytes. Each group's sum is scaled once.
 *
 * <p>One input row (batch-1 decode): four weight rows at a time, one {@link Int8Matrix} block, read as one stream;
 * each input vector is loaded once for the four. Several input rows (batched decode, a draft catching up): block by
 * block, two input rows at a time, each weight vector widened once for both; the block, read from memory by the first
 * pair, is in the core's cache for the next. Each output is computed with the same operations in the same order as
 * with one input row, so a row's result does not depend on the rows beside it. A width that is not a multiple of 64
 * (one group a row) goes weight row by weight row, each widened weight vector used for up to four input rows.
 */
final class Int8Matmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    /** Per worker thread: a pair's eight accumulators, stored for {@link #storeSums}. */
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[2 * Int8Matrix.BLOCK * L]);

    private Int8Matmul() {}

    static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, Int8Matrix w,
                        float[] bias, int biasOff, int n) {
        if (w.group() == 4 * L) {
            blocks(pool, out, outOff, inp, inpOff, w, bias, biasOff, n);
            return;
        }
        WeightRows.forward(pool, out, outOff, bias, biasOff, n, w.rows(), w.group() % L == 0, new WeightRows.Kernel() {
            public void four(int o, int r, float b) { row4(out, outOff, inp, inpOff, w, o, r, b); }

            public float one(int o, int r) { return dot(inp, inpOff + r * w.cols(), w, o); }

            public boolean two(int o, int r, float b) {
                row2(out, outOff, inp, inpOff, w, o, r, b);
                return true;
            }
        });
    }

    /**
     * out[r][o] = inp[r] · weight row o + bias[o] for every r and o: whole blocks four weight rows at once (input rows in
     * pairs, an odd last one alone), the rows of a partial last block one by one.
     */
    private static void blocks(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, Int8Matrix w,
                               float[] bias, int biasOff, int n) {
        int oc = w.rows(), c = w.cols();
        pool.run((oc + WeightRows.ROWS_PER_TASK - 1) / WeightRows.ROWS_PER_TASK, p -> {
            int from = p * WeightRows.ROWS_PER_TASK, end = Math.min(oc, from + WeightRows.ROWS_PER_TASK), o = from;
            float[] lanes = LANES.get(); // the accumulators, stored to be summed by storeSums
            for (; o + Int8Matrix.BLOCK <= end; o += Int8Matrix.BLOCK) {
                int r = 0;
                for (; r + 2 <= n; r += 2) pair(out, outOff + r * oc, oc, inp, inpOff + r * c, w, o, lanes);
                if (r < n) block(out, outOff + r * oc, inp, inpOff + r * c, w, o, lanes);
            }
            for (; o < end; o++) {
                for (int r = 0; r < n; r++) out[outOff + r * oc + o] = dotGroupsOfFourVectors(inp, inpOff + r * c, w, o);
            }
            if (bias != null) {
                for (int r = 0; r < n; r++) {
                    for (int i = from; i < end; i++) out[outOff + r * oc + i] += bias[biasOff + i];
                }
            }
        });
    }

    /**
     * One input row against the block of weight rows o..o+3, groups of exactly four vectors: per group, each input
     * vector loaded once and multiplied into four chains (one per row), then each chain scaled into its row's total.
     */
    private static void block(float[] out, int outOff, float[] inp, int io, Int8Matrix w, int o, float[] lanes) {
        int c = w.cols(), groups = c / (4 * L);
        byte[] q = w.q();
        float[] scales = w.scales();
        int first = w.at(o, 0), s0 = w.scaleAt(o, 0); // the block's first value and first scale (o is a block's first row)
        FloatVector t0 = FloatVector.zero(S), t1 = t0, t2 = t0, t3 = t0;
        for (int g = 0; g < groups; g++) {
            int x = io + g * 4 * L, at = first + g * Int8Matrix.BLOCK * 4 * L, s = s0 + g * Int8Matrix.BLOCK;
            FloatVector x0 = FloatVector.fromArray(S, inp, x);
            FloatVector a0 = widen(q, at).mul(x0), a1 = widen(q, at + 4 * L).mul(x0);
            FloatVector a2 = widen(q, at + 8 * L).mul(x0), a3 = widen(q, at + 12 * L).mul(x0);
            for (int j = 1; j < 4; j++) {
                FloatVector xj = FloatVector.fromArray(S, inp, x + j * L);
                a0 = widen(q, at + j * L).fma(xj, a0);
                a1 = widen(q, at + (4 + j) * L).fma(xj, a1);
                a2 = widen(q, at + (8 + j) * L).fma(xj, a2);
                a3 = widen(q, at + (12 + j) * L).fma(xj, a3);
            }
            t0 = a0.fma(FloatVector.broadcast(S, scales[s]), t0);
            t1 = a1.fma(FloatVector.broadcast(S, scales[s + 1]), t1);
            t2 = a2.fma(FloatVector.broadcast(S, scales[s + 2]), t2);
            t3 = a3.fma(FloatVector.broadcast(S, scales[s + 3]), t3);
        }
        t0.intoArray(lanes, 0);
        t1.intoArray(lanes, L);
        t2.intoArray(lanes, 2 * L);
        t3.intoArray(lanes, 3 * L);
        storeSums(lanes, 0, out, outOff + o);
    }

    /**
     * out[at + j] = the sum of the vector stored at lanes[from + j·L …), for the j of a block. The kernels store their
     * accumulators and sum them here, not with {@link VectorMath#sum} inline: C2 stops inlining calls once a method's
     * graph is big (NodeCountInliningCutoff), and a vector passed to a call it does not inline is boxed (the block kernel
     * allocated 13 MB a token that way); an array is not, and here the sums are inlined.
     */
    private static void storeSums(float[] lanes, int from, float[] out, int at) {
        for (int j = 0; j < Int8Matrix.BLOCK; j++) out[at + j] = VectorMath.sum(FloatVector.fromArray(S, lanes, from + j * L));
    }

    /**
     * {@link #block} for two input rows (inp[io …] and inp[io + C …], outputs out[outOff + o …] and out[outOff + oc + o …]):
     * each weight vector widened once for both, each output the same operations as {@link #block}'s.
     */
    private static void pair(float[] out, int outOff, int oc, float[] inp, int io, Int8Matrix w, int o, float[] lanes) {
        int c = w.cols(), groups = c / (4 * L);
        byte[] q = w.q();
        float[] scales = w.scales();
        int first = w.at(o, 0), s0 = w.scaleAt(o, 0);
        FloatVector t0 = FloatVector.zero(S), t1 = t0, t2 = t0, t3 = t0, u0 = t0, u1 = t0, u2 = t0, u3 = t0;
        for (int g = 0; g < groups; g++) {
            int x = io + g * 4 * L, y = x + c, at = first + g * Int8Matrix.BLOCK * 4 * L, s = s0 + g * Int8Matrix.BLOCK;
            FloatVector x0 = FloatVector.fromArray(S, inp, x), y0 = FloatVector.fromArray(S, inp, y);
            FloatVector w0 = widen(q, at), w1 = widen(q, at + 4 * L), w2 = widen(q, at + 8 * L), w3 = widen(q, at + 12 * L);
            FloatVector a0 = w0.mul(x0), a1 = w1.mul(x0), a2 = w2.mul(x0), a3 = w3.mul(x0);
            FloatVector b0 = w0.mul(y0), b1 = w1.mul(y0), b2 = w2.mul(y0), b3 = w3.mul(y0);
            for (int j = 1; j < 4; j++) {
                FloatVector xj = FloatVector.fromArray(S, inp, x + j * L), yj = FloatVector.fromArray(S, inp, y + j * L);
                w0 = widen(q, at + j * L);
                w1 = widen(q, at + (4 + j) * L);
                w2 = widen(q, at + (8 + j) * L);
                w3 = widen(q, at + (12 + j) * L);
                a0 = w0.fma(xj, a0);
                b0 = w0.fma(yj, b0);
                a1 = w1.fma(xj, a1);
                b1 = w1.fma(yj, b1);
                a2 = w2.fma(xj, a2);
                b2 = w2.fma(yj, b2);
                a3 = w3.fma(xj, a3);
                b3 = w3.fma(yj, b3);
            }
            FloatVector c0 = FloatVector.broadcast(S, scales[s]), c1 = FloatVector.broadcast(S, scales[s + 1]);
            FloatVector c2 = FloatVector.broadcast(S, scales[s + 2]), c3 = FloatVector.broadcast(S, scales[s + 3]);
            t0 = a0.fma(c0, t0);
            t1 = a1.fma(c1, t1);
            t2 = a2.fma(c2, t2);
            t3 = a3.fma(c3, t3);
            u0 = b0.fma(c0, u0);
            u1 = b1.fma(c1, u1);
            u2 = b2.fma(c2, u2);
            u3 = b3.fma(c3, u3);
        }
        t0.intoArray(lanes, 0);
        t1.intoArray(lanes, L);
        t2.intoArray(lanes, 2 * L);
        t3.intoArray(lanes, 3 * L);
        u0.intoArray(lanes, 4 * L);
        u1.intoArray(lanes, 5 * L);
        u2.intoArray(lanes, 6 * L);
        u3.intoArray(lanes, 7 * L);
        storeSums(lanes, 0, out, outOff + o);
        storeSums(lanes, Int8Matrix.BLOCK * L, out, outOff + oc + o);
    }

    /** Four input rows against weight row o: each widened weight vector feeds four FMAs. */
    private static void row4(float[] out, int outOff, float[] inp, int inpOff, Int8Matrix w, int o, int r, float bias) {
        int c = w.cols(), group = w.group(), groups = c / group, oc = w.rows();
        byte[] q = w.q();
        int i0 = inpOff + r * c, i1 = i0 + c, i2 = i1 + c, i3 = i2 + c;
        FloatVector t0 = FloatVector.zero(S), t1 = t0, t2 = t0, t3 = t0;
        for (int g = 0; g < groups; g++) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int k0 = g * group, at = w.at(o, k0) - k0;
            for (int k = k0; k < k0 + group; k += L) {
                FloatVector wv = widen(q, at + k);
                a0 = wv.fma(FloatVector.fromArray(S, inp, i0 + k), a0);
                a1 = wv.fma(FloatVector.fromArray(S, inp, i1 + k), a1);
                a2 = wv.fma(FloatVector.fromArray(S, inp, i2 + k), a2);
                a3 = wv.fma(FloatVector.fromArray(S, inp, i3 + k), a3);
            }
            FloatVector scale = FloatVector.broadcast(S, w.scale(o, g));
            t0 = a0.fma(scale, t0);
            t1 = a1.fma(scale, t1);
            t2 = a2.fma(scale, t2);
            t3 = a3.fma(scale, t3);
        }
        out[outOff + r * oc + o] = VectorMath.sum(t0) + bias;
        out[outOff + (r + 1) * oc + o] = VectorMath.sum(t1) + bias;
        out[outOff + (r + 2) * oc + o] = VectorMath.sum(t2) + bias;
        out[outOff + (r + 3) * oc + o] = VectorMath.sum(t3) + bias;
    }

    /** Two input rows against weight row o: each widened weight vector feeds two FMAs. */
    private static void row2(float[] out, int outOff, float[] inp, int inpOff, Int8Matrix w, int o, int r, float bias) {
        int c = w.cols(), group = w.group(), groups = c / group, oc = w.rows();
        byte[] q = w.q();
        int i0 = inpOff + r * c, i1 = i0 + c;
        FloatVector t0 = FloatVector.zero(S), t1 = t0;
        for (int g = 0; g < groups; g++) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, b0 = a0, b1 = a0;
            int k0 = g * group, k = k0, at = w.at(o, k0) - k0;
            for (; k + 2 * L <= k0 + group; k += 2 * L) { // two chains a row: the FMAs do not wait on each other
                FloatVector w0 = widen(q, at + k), w1 = widen(q, at + k + L);
                a0 = w0.fma(FloatVector.fromArray(S, inp, i0 + k), a0);
                b0 = w0.fma(FloatVector.fromArray(S, inp, i1 + k), b0);
                a1 = w1.fma(FloatVector.fromArray(S, inp, i0 + k + L), a1);
                b1 = w1.fma(FloatVector.fromArray(S, inp, i1 + k + L), b1);
            }
            for (; k < k0 + group; k += L) {
                FloatVector w0 = widen(q, at + k);
                a0 = w0.fma(FloatVector.fromArray(S, inp, i0 + k), a0);
                b0 = w0.fma(FloatVector.fromArray(S, inp, i1 + k), b0);
            }
            FloatVector scale = FloatVector.broadcast(S, w.scale(o, g));
            t0 = a0.add(a1).fma(scale, t0);
            t1 = b0.add(b1).fma(scale, t1);
        }
        out[outOff + r * oc + o] = VectorMath.sum(t0) + bias;
        out[outOff + (r + 1) * oc + o] = VectorMath.sum(t1) + bias;
    }

    /**
     * One input row against weight row o. Four accumulators per group, so that consecutive FMAs do not wait on each
     * other's latency (one chain was latency-bound at ~4 cycles per 16 weights), and one reduction per row.
     */
    private static float dot(float[] inp, int io, Int8Matrix w, int o) {
        int c = w.cols(), group = w.group(), groups = c / group;
        byte[] q = w.q();
        FloatVector total = FloatVector.zero(S);
        float tail = 0;
        for (int g = 0; g < groups; g++) {
            int k = g * group, end = k + group, row = w.at(o, k) - k; // the group's values at row + k … row + end − 1
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (; k + 4 * L <= end; k += 4 * L) {
                a0 = widen(q, row + k).fma(FloatVector.fromArray(S, inp, io + k), a0);
                a1 = widen(q, row + k + L).fma(FloatVector.fromArray(S, inp, io + k + L), a1);
                a2 = widen(q, row + k + 2 * L).fma(FloatVector.fromArray(S, inp, io + k + 2 * L), a2);
                a3 = widen(q, row + k + 3 * L).fma(FloatVector.fromArray(S, inp, io + k + 3 * L), a3);
            }
            for (; k + L <= end; k += L) a0 = widen(q, row + k).fma(FloatVector.fromArray(S, inp, io + k), a0);
            float scale = w.scale(o, g), rest = 0;
            for (; k < end; k++) rest += q[row + k] * inp[io + k];
            total = a0.add(a1).add(a2.add(a3)).fma(FloatVector.broadcast(S, scale), total);
            tail += rest * scale;
        }
        return VectorMath.sum(total) + tail;
    }

    /**
     * {@link #dot} when a group is exactly four vectors (64 values with AVX-512): the same sums with no inner loop or
     * tail per group, which C2 compiles ~30% faster (measured in isolation on the output head's 50,257 rows).
     */
    private static float dotGroupsOfFourVectors(float[] inp, int io, Int8Matrix w, int o) {
        byte[] q = w.q();
        float[] scales = w.scales();
        int groups = w.cols() / (4 * L), row = w.at(o, 0), s = w.scaleAt(o, 0);
        FloatVector total = FloatVector.zero(S);
        for (int g = 0; g < groups; g++) {
            int at = row + g * Int8Matrix.BLOCK * 4 * L, x = io + g * 4 * L;
            FloatVector a0 = widen(q, at).mul(FloatVector.fromArray(S, inp, x));
            FloatVector a1 = widen(q, at + L).mul(FloatVector.fromArray(S, inp, x + L));
            FloatVector a2 = widen(q, at + 2 * L).mul(FloatVector.fromArray(S, inp, x + 2 * L));
            FloatVector a3 = widen(q, at + 3 * L).mul(FloatVector.fromArray(S, inp, x + 3 * L));
            total = a0.add(a1).add(a2.add(a3)).fma(FloatVector.broadcast(S, scales[s + g * Int8Matrix.BLOCK]), total);
        }
        return VectorMath.sum(total);
    }

    private static FloatVector widen(byte[] q, int at) {
        return (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2F, S, 0);
    }
}
