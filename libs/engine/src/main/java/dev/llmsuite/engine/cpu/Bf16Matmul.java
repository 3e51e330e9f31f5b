package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * out[N, OC] = inp[N, C] · Wᵀ + bias with W in bfloat16 ({@link Bf16Matrix}), for decode steps: they are bound by
 * reading the weights, and 16 bits read half of fp32's bytes. One int vector load widens to two float vectors
 * (a shift and a mask), each used for up to four input rows.
 */
final class Bf16Matmul {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private Bf16Matmul() {}

    static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, Bf16Matrix w,
                        float[] bias, int biasOff, int n) {
        WeightRows.forward(pool, out, outOff, bias, biasOff, n, w.rows(), true, new WeightRows.Kernel() {
            public void four(int o, int r, float b) { row4(out, outOff, inp, inpOff, w, o, r, b); }

            public float one(int o, int r) { return dot(inp, inpOff + r * w.cols(), w, o); }
        });
    }

    /** Whole 32-value blocks take the vector path when the vector fits a half block. */
    private static int vectorBlocks(Bf16Matrix w) {
        return Bf16Matrix.HALF % L == 0 ? w.cols() / Bf16Matrix.BLOCK : 0;
    }

    /** Four input rows against weight row o. */
    private static void row4(float[] out, int outOff, float[] inp, int inpOff, Bf16Matrix w, int o, int r, float bias) {
        int c = w.cols(), oc = w.rows(), base = o * w.stride(), blocks = vectorBlocks(w);
        int[] packed = w.packed();
        int i0 = inpOff + r * c, i1 = i0 + c, i2 = i1 + c, i3 = i2 + c;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < Bf16Matrix.HALF; j += L) {
                IntVector bits = IntVector.fromArray(I, packed, base + b * Bf16Matrix.HALF + j);
                FloatVector lo = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector hi = bits.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats();
                int k = b * Bf16Matrix.BLOCK + j, kh = k + Bf16Matrix.HALF;
                a0 = lo.fma(FloatVector.fromArray(S, inp, i0 + k), hi.fma(FloatVector.fromArray(S, inp, i0 + kh), a0));
                a1 = lo.fma(FloatVector.fromArray(S, inp, i1 + k), hi.fma(FloatVector.fromArray(S, inp, i1 + kh), a1));
                a2 = lo.fma(FloatVector.fromArray(S, inp, i2 + k), hi.fma(FloatVector.fromArray(S, inp, i2 + kh), a2));
                a3 = lo.fma(FloatVector.fromArray(S, inp, i3 + k), hi.fma(FloatVector.fromArray(S, inp, i3 + kh), a3));
            }
        }
        float s0 = VectorMath.sum(a0), s1 = VectorMath.sum(a1), s2 = VectorMath.sum(a2), s3 = VectorMath.sum(a3);
        for (int k = blocks * Bf16Matrix.BLOCK; k < c; k++) {
            float x = w.get(o, k);
            s0 += x * inp[i0 + k];
            s1 += x * inp[i1 + k];
            s2 += x * inp[i2 + k];
            s3 += x * inp[i3 + k];
        }
        out[outOff + r * oc + o] = s0 + bias;
        out[outOff + (r + 1) * oc + o] = s1 + bias;
        out[outOff + (r + 2) * oc + o] = s2 + bias;
        out[outOff + (r + 3) * oc + o] = s3 + bias;
    }

    /**
     * One input row against weight row o: the low and high halves of each block in accumulators of their own, so
     * consecutive FMAs do not wait on each other (one chain was bound by the FMA's latency).
     */
    private static float dot(float[] inp, int io, Bf16Matrix w, int o) {
        int c = w.cols(), base = o * w.stride(), blocks = vectorBlocks(w);
        int[] packed = w.packed();
        FloatVector low = FloatVector.zero(S), high = low;
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < Bf16Matrix.HALF; j += L) {
                IntVector bits = IntVector.fromArray(I, packed, base + b * Bf16Matrix.HALF + j);
                int k = io + b * Bf16Matrix.BLOCK + j;
                low = bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(S, inp, k), low);
                high = bits.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats()
                        .fma(FloatVector.fromArray(S, inp, k + Bf16Matrix.HALF), high);
            }
        }
        float s = VectorMath.sum(low.add(high));
        for (int k = blocks * Bf16Matrix.BLOCK; k < c; k++) s += w.get(o, k) * inp[io + k];
        return s;
    }
}
