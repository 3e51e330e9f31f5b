package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, tanh and lane sums that give the same bits however the JVM runs them. The Vector API's EXP and TANH
 * are short-vector-library calls once C2 compiles a kernel but {@code Math.exp}/{@code Math.tanh} lane by lane
 * before, and its float ADD reduction may be summed in another order: the same training step then differed
 * in the last bits between a fresh JVM and a warm one (a resumed job from the uninterrupted one). These use
 * only +, ×, ÷ and bit operations, in a fixed order, and each has a scalar twin with the same arithmetic for
 * loop tails.
 *
 * <p>exp is Cephes' expf: x = n·ln 2 + r with |r| ≤ ln 2 / 2, a degree-7 polynomial for e^r (fused multiply-adds:
 * exact in every JIT tier), times 2^n built in the exponent bits; within 2 ulp for x in [−87.3, 88.3] (clamped there, so 0 < exp(x) < ∞).
 * tanh(u) = 1 − 2 / (e^{2u} + 1): saturates to ±1, absolute error ≤ 2·10⁻⁷ near 0.</p>
 */
public final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float LO = -87.3f, HI = 88.3f;
    /** 1.5·2²³: adding it rounds a float below 2²² to an integer, which then sits in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private static final int L = S.length();
    /** Lane i takes lane i + L/2, + L/4, ...: the halving steps of the lane sum (constants, so C2 folds them). */
    private static final VectorShuffle<Float> H1 = shift(L / 2), H2 = shift(L / 4), H3 = shift(L / 8), H4 = shift(L / 16);

    private VectorMath() {}

    public static FloatVector exp(FloatVector x) {
        x = x.max(LO).min(HI);
        FloatVector t = x.fma(LOG2E, ROUND); // round(x·log2 e) + ROUND: n in the low mantissa bits
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(c(-LN2_LO), n.fma(c(-LN2_HI), x));
        FloatVector p = r.fma(P0, P1).fma(r, c(P2)).fma(r, c(P3)).fma(r, c(P4)).fma(r, c(P5)).fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) t.reinterpretAsInts()).add(127 - ROUND_BITS).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    private static FloatVector c(float v) {
        return FloatVector.broadcast(S, v);
    }

    public static float exp(float x) {
        x = Math.min(Math.max(x, LO), HI);
        float t = Math.fma(x, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, x));
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5), r * r, r) + 1f;
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) + (127 - ROUND_BITS)) << 23);
    }

    public static FloatVector tanh(FloatVector u) {
        return c(1f).sub(c(2f).div(exp(u.add(u)).add(1f)));
    }

    public static float tanh(float u) {
        return 1f - 2f / (exp(u + u) + 1f);
    }

    /** The largest of x[off..off+n) with Math.max's rules (any NaN wins, +0 over −0), a vector at a time; −∞ for none. */
    public static float max(float[] x, int off, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + L <= n; i += L) acc = acc.max(FloatVector.fromArray(S, x, off + i));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[off + i]);
        return m;
    }

    /** Σ of the lanes, pairwise in a fixed order (lane i + lane i + L/2, then + L/4, ...). */
    public static float sum(FloatVector v) {
        v = v.add(v.rearrange(H1));
        if (L >= 4) v = v.add(v.rearrange(H2));
        if (L >= 8) v = v.add(v.rearrange(H3));
        if (L >= 16) v = v.add(v.rearrange(H4));
        return v.lane(0);
    }

    private static VectorShuffle<Float> shift(int w) {
        return VectorShuffle.fromOp(S, i -> (i + Math.max(w, 1)) % L);
    }
}
