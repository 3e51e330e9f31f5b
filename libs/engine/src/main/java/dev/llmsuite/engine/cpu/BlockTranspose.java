package dev.llmsuite.engine.cpu;

import java.util.function.IntUnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 16 × 16 block of floats transposed in registers, for {@link Matmul}'s Wᵀ panels:
 *
 * <pre>
 *   dst[d + i·dstRow + l] = src[s + l·srcRow + i]        i, l &lt; 16
 * </pre>
 *
 * Sixteen row loads, then four rounds that swap the off-diagonal halves, quarters, eighths and sixteenths of each pair
 * of rows ({@code selectFrom} on two vectors, one {@code vpermi2d} each), then sixteen row stores: 0.3 ms for a 768 ×
 * 3,072 weight where the scalar copy (eight rows at a time, a float at a time) took 1 ms, which was half of a 20-row
 * product (a question after a restored prefix). Only with 16-float vectors (AVX-512); {@link #FITS} says so.
 */
final class BlockTranspose {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Whether {@link #transpose} runs here: a preferred vector of exactly 16 floats. */
    static final boolean FITS = F.length() == 16;
    /**
     * Round b (8, 4, 2, 1) pairs rows i and i + b (i's bit b clear): the first takes lane l from row i where l's bit b
     * is clear and from row i + b's lane l − b where it is set; the second row i's lane l + b, or row i + b's lane l.
     */
    private static final IntVector LO8 = low(8), HI8 = high(8);
    private static final IntVector LO4 = low(4), HI4 = high(4);
    private static final IntVector LO2 = low(2), HI2 = high(2);
    private static final IntVector LO1 = low(1), HI1 = high(1);

    private BlockTranspose() {}

    private static IntVector low(int b) { return pick(l -> (l & b) == 0 ? l : 16 + l - b); }

    private static IntVector high(int b) { return pick(l -> (l & b) == 0 ? l + b : 16 + l); }

    private static IntVector pick(IntUnaryOperator lane) {
        if (!FITS) return null;
        int[] at = new int[16];
        for (int l = 0; l < 16; l++) at[l] = lane.applyAsInt(l);
        return IntVector.fromArray(I, at, 0);
    }

    /**
     * The block at src[s …] (rows srcRow apart) into dst[d …] transposed (rows dstRow apart). Written out by hand, no
     * helper taking or returning vectors: one that C2 does not inline boxes them.
     */
    static void transpose(float[] src, int s, int srcRow, float[] dst, int d, int dstRow) {
        IntVector r0 = FloatVector.fromArray(F, src, s).reinterpretAsInts();
        IntVector r1 = FloatVector.fromArray(F, src, s + srcRow).reinterpretAsInts();
        IntVector r2 = FloatVector.fromArray(F, src, s + 2 * srcRow).reinterpretAsInts();
        IntVector r3 = FloatVector.fromArray(F, src, s + 3 * srcRow).reinterpretAsInts();
        IntVector r4 = FloatVector.fromArray(F, src, s + 4 * srcRow).reinterpretAsInts();
        IntVector r5 = FloatVector.fromArray(F, src, s + 5 * srcRow).reinterpretAsInts();
        IntVector r6 = FloatVector.fromArray(F, src, s + 6 * srcRow).reinterpretAsInts();
        IntVector r7 = FloatVector.fromArray(F, src, s + 7 * srcRow).reinterpretAsInts();
        IntVector r8 = FloatVector.fromArray(F, src, s + 8 * srcRow).reinterpretAsInts();
        IntVector r9 = FloatVector.fromArray(F, src, s + 9 * srcRow).reinterpretAsInts();
        IntVector r10 = FloatVector.fromArray(F, src, s + 10 * srcRow).reinterpretAsInts();
        IntVector r11 = FloatVector.fromArray(F, src, s + 11 * srcRow).reinterpretAsInts();
        IntVector r12 = FloatVector.fromArray(F, src, s + 12 * srcRow).reinterpretAsInts();
        IntVector r13 = FloatVector.fromArray(F, src, s + 13 * srcRow).reinterpretAsInts();
        IntVector r14 = FloatVector.fromArray(F, src, s + 14 * srcRow).reinterpretAsInts();
        IntVector r15 = FloatVector.fromArray(F, src, s + 15 * srcRow).reinterpretAsInts();
        IntVector h0 = LO8.selectFrom(r0, r8), h8 = HI8.selectFrom(r0, r8);
        IntVector h1 = LO8.selectFrom(r1, r9), h9 = HI8.selectFrom(r1, r9);
        IntVector h2 = LO8.selectFrom(r2, r10), h10 = HI8.selectFrom(r2, r10);
        IntVector h3 = LO8.selectFrom(r3, r11), h11 = HI8.selectFrom(r3, r11);
        IntVector h4 = LO8.selectFrom(r4, r12), h12 = HI8.selectFrom(r4, r12);
        IntVector h5 = LO8.selectFrom(r5, r13), h13 = HI8.selectFrom(r5, r13);
        IntVector h6 = LO8.selectFrom(r6, r14), h14 = HI8.selectFrom(r6, r14);
        IntVector h7 = LO8.selectFrom(r7, r15), h15 = HI8.selectFrom(r7, r15);
        IntVector q0 = LO4.selectFrom(h0, h4), q4 = HI4.selectFrom(h0, h4);
        IntVector q1 = LO4.selectFrom(h1, h5), q5 = HI4.selectFrom(h1, h5);
        IntVector q2 = LO4.selectFrom(h2, h6), q6 = HI4.selectFrom(h2, h6);
        IntVector q3 = LO4.selectFrom(h3, h7), q7 = HI4.selectFrom(h3, h7);
        IntVector q8 = LO4.selectFrom(h8, h12), q12 = HI4.selectFrom(h8, h12);
        IntVector q9 = LO4.selectFrom(h9, h13), q13 = HI4.selectFrom(h9, h13);
        IntVector q10 = LO4.selectFrom(h10, h14), q14 = HI4.selectFrom(h10, h14);
        IntVector q11 = LO4.selectFrom(h11, h15), q15 = HI4.selectFrom(h11, h15);
        IntVector e0 = LO2.selectFrom(q0, q2), e2 = HI2.selectFrom(q0, q2);
        IntVector e1 = LO2.selectFrom(q1, q3), e3 = HI2.selectFrom(q1, q3);
        IntVector e4 = LO2.selectFrom(q4, q6), e6 = HI2.selectFrom(q4, q6);
        IntVector e5 = LO2.selectFrom(q5, q7), e7 = HI2.selectFrom(q5, q7);
        IntVector e8 = LO2.selectFrom(q8, q10), e10 = HI2.selectFrom(q8, q10);
        IntVector e9 = LO2.selectFrom(q9, q11), e11 = HI2.selectFrom(q9, q11);
        IntVector e12 = LO2.selectFrom(q12, q14), e14 = HI2.selectFrom(q12, q14);
        IntVector e13 = LO2.selectFrom(q13, q15), e15 = HI2.selectFrom(q13, q15);
        IntVector t0 = LO1.selectFrom(e0, e1), t1 = HI1.selectFrom(e0, e1);
        IntVector t2 = LO1.selectFrom(e2, e3), t3 = HI1.selectFrom(e2, e3);
        IntVector t4 = LO1.selectFrom(e4, e5), t5 = HI1.selectFrom(e4, e5);
        IntVector t6 = LO1.selectFrom(e6, e7), t7 = HI1.selectFrom(e6, e7);
        IntVector t8 = LO1.selectFrom(e8, e9), t9 = HI1.selectFrom(e8, e9);
        IntVector t10 = LO1.selectFrom(e10, e11), t11 = HI1.selectFrom(e10, e11);
        IntVector t12 = LO1.selectFrom(e12, e13), t13 = HI1.selectFrom(e12, e13);
        IntVector t14 = LO1.selectFrom(e14, e15), t15 = HI1.selectFrom(e14, e15);
        t0.reinterpretAsFloats().intoArray(dst, d);
        t1.reinterpretAsFloats().intoArray(dst, d + dstRow);
        t2.reinterpretAsFloats().intoArray(dst, d + 2 * dstRow);
        t3.reinterpretAsFloats().intoArray(dst, d + 3 * dstRow);
        t4.reinterpretAsFloats().intoArray(dst, d + 4 * dstRow);
        t5.reinterpretAsFloats().intoArray(dst, d + 5 * dstRow);
        t6.reinterpretAsFloats().intoArray(dst, d + 6 * dstRow);
        t7.reinterpretAsFloats().intoArray(dst, d + 7 * dstRow);
        t8.reinterpretAsFloats().intoArray(dst, d + 8 * dstRow);
        t9.reinterpretAsFloats().intoArray(dst, d + 9 * dstRow);
        t10.reinterpretAsFloats().intoArray(dst, d + 10 * dstRow);
        t11.reinterpretAsFloats().intoArray(dst, d + 11 * dstRow);
        t12.reinterpretAsFloats().intoArray(dst, d + 12 * dstRow);
        t13.reinterpretAsFloats().intoArray(dst, d + 13 * dstRow);
        t14.reinterpretAsFloats().intoArray(dst, d + 14 * dstRow);
        t15.reinterpretAsFloats().intoArray(dst, d + 15 * dstRow);
    }
}
