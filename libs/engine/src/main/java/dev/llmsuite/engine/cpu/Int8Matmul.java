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
 * each input vector is loaded once for the four. Several input rows: weight row by weight row, each weight vector
 * widened to floats once and used for up to four input rows.
 */
final class Int8Matmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    private Int8Matmul() {}

    static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, Int8Matrix w,
                        float[] bias, int biasOff, int n) {
        if (n == 1) {
            oneRow(pool, out, outOff, inp, inpOff, w, bias, biasOff);
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

    /** out[o] = inp · weight row o + bias[o] for every o: whole blocks four rows at once, a partial last block row by row. */
    private static void oneRow(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, Int8Matrix w,
                               float[] bias, int biasOff) {
        int oc = w.rows();
        boolean blocks = w.group() == 4 * L;
        pool.run((oc + WeightRows.ROWS_PER_TASK - 1) / WeightRows.ROWS_PER_TASK, p -> {
            int o = p * WeightRows.ROWS_PER_TASK, end = Math.min(oc, o + WeightRows.ROWS_PER_TASK);
            if (blocks) {
                for (; o + Int8Matrix.BLOCK <= end; o += Int8Matrix.BLOCK) block(out, outOff, inp, inpOff, w, o);
            }
            for (; o < end; o++) out[outOff + o] = dot(inp, inpOff, w, o);
            if (bias != null) {
                for (int i = p * WeightRows.ROWS_PER_TASK; i < end; i++) out[outOff + i] += bias[biasOff + i];
            }
        });
    }

    /**
     * One input row against the block of weight rows o..o+3, groups of exactly four vectors: per group, each input
     * vector loaded once and multiplied into four chains (one per row), then each chain scaled into its row's total.
     */
    private static void block(float[] out, int outOff, float[] inp, int io, Int8Matrix w, int o) {
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
        out[outOff + o] = VectorMath.sum(t0);
        out[outOff + o + 1] = VectorMath.sum(t1);
        out[outOff + o + 2] = VectorMath.sum(t2);
        out[outOff + o + 3] = VectorMath.sum(t3);
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
        if (group == 4 * L) return dotGroupsOfFourVectors(inp, io, w, o);
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
