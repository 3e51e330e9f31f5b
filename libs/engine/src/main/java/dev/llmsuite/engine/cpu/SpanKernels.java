package dev.llmsuite.engine.cpu;

import java.util.function.IntUnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two products of {@link DecodeAttention}'s spans, for one row and for four rows of one sequence at once. A row's
 * scores and value sums of span positions [from, from + n) sit in w and rec:
 *
 * <pre>
 *   w[wo + h·n + t − from]  = q_h · k_t,h · scale              (scores, then their exps)
 *   rec[o + h·hs + j]     += w[wo + h·n + t − from] · v_t,h,j   (value sums, t in order)
 * </pre>
 *
 * Every kernel computes a score with the operations of {@link Attention#dot} (one FMA chain over the head's vectors,
 * then {@link VectorMath#sum}) and a value sum with those of {@link Attention#axpy} (one FMA a position, in order), so a
 * row's result is the same to the bit whichever kernel took it and whatever rows were beside it. The four-row kernels
 * read each key and value vector once for four rows and keep the rows' queries or sums in registers; they need a head
 * of exactly four vectors (64 values with AVX-512), else callers take the rows one by one.
 */
final class SpanKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /**
     * Four vectors' sums at once: their halves added pairwise (a's lanes j and j + L/2 into lane j, b's into lane L/2 + j),
     * then the quarters, then within each quarter; vector r's sum ends in lane r·L/4. Each pair is one VectorMath.sum adds.
     */
    private static final FloatVector HALF_LO = index(j -> j < L / 2 ? j : L + j - L / 2);
    private static final FloatVector HALF_HI = index(j -> j < L / 2 ? j + L / 2 : L + j);
    private static final FloatVector QUARTER_LO = index(j -> (j / (L / 4)) % 2 * (L / 2) + j / (L / 2) * L + j % (L / 4));
    private static final FloatVector QUARTER_HI = index(j -> (j / (L / 4)) % 2 * (L / 2) + j / (L / 2) * L + L / 4 + j % (L / 4));
    private static final VectorShuffle<Float> XOR_2 = VectorShuffle.fromOp(S, j -> j ^ 2), XOR_1 = VectorShuffle.fromOp(S, j -> j ^ 1);

    private SpanKernels() {}

    /** Whether {@link #scoresOfFour} and {@link #valuesOfFour} take heads of hs values. */
    static boolean fourRowsTake(int hs) { return hs == 4 * L && L >= 4 && L <= 16; }

    /** Lane j of a vector of indexes for {@link FloatVector#selectFrom(jdk.incubator.vector.Vector, jdk.incubator.vector.Vector)}. */
    private static FloatVector index(IntUnaryOperator lane) {
        float[] at = new float[L];
        for (int j = 0; j < L; j++) at[j] = lane.applyAsInt(j);
        return FloatVector.fromArray(S, at, 0);
    }

    /**
     * One row's scores of positions t0..t1, each key row read whole: four heads' dot products side by side when a head
     * is whole vectors (a product a head at a time waited on its own FMAs and sum).
     */
    static void scores(float[] w, int wo, int n, int from, float[] qkv, int q, float[] k, int ko, int t0, int t1, int c,
                       int nh, float scale) {
        int hs = c / nh, four = hs % L == 0 ? nh / 4 * 4 : 0;
        for (int t = t0; t <= t1; t++) {
            int row = ko + t * c, x = wo + t - from;
            for (int h = 0; h < four; h += 4) {
                int qa = q + h * hs, ka = row + h * hs;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < hs; i += L) {
                    a0 = FloatVector.fromArray(S, qkv, qa + i).fma(FloatVector.fromArray(S, k, ka + i), a0);
                    a1 = FloatVector.fromArray(S, qkv, qa + hs + i).fma(FloatVector.fromArray(S, k, ka + hs + i), a1);
                    a2 = FloatVector.fromArray(S, qkv, qa + 2 * hs + i).fma(FloatVector.fromArray(S, k, ka + 2 * hs + i), a2);
                    a3 = FloatVector.fromArray(S, qkv, qa + 3 * hs + i).fma(FloatVector.fromArray(S, k, ka + 3 * hs + i), a3);
                }
                w[x + h * n] = VectorMath.sum(a0) * scale;
                w[x + (h + 1) * n] = VectorMath.sum(a1) * scale;
                w[x + (h + 2) * n] = VectorMath.sum(a2) * scale;
                w[x + (h + 3) * n] = VectorMath.sum(a3) * scale;
            }
            for (int h = four; h < nh; h++) w[x + h * n] = Attention.dot(qkv, q + h * hs, k, row + h * hs, hs) * scale;
        }
    }

    /**
     * Four rows' scores of positions t0..t1 (rows r: queries at qkv[q[r] …], scores at w[wo[r] …] with n[r] a head), a
     * head at a time: the rows' queries stay in registers and each key vector is loaded once for the four.
     */
    static void scoresOfFour(float[] w, int[] wo, int[] n, int from, float[] qkv, int[] q, float[] k, int ko, int t0,
                             int t1, int c, int nh, float scale) {
        int hs = c / nh;
        for (int h = 0; h < nh; h++) {
            int qh = h * hs;
            FloatVector p0 = FloatVector.fromArray(S, qkv, q[0] + qh), p1 = FloatVector.fromArray(S, qkv, q[0] + qh + L);
            FloatVector p2 = FloatVector.fromArray(S, qkv, q[0] + qh + 2 * L), p3 = FloatVector.fromArray(S, qkv, q[0] + qh + 3 * L);
            FloatVector q0 = FloatVector.fromArray(S, qkv, q[1] + qh), q1 = FloatVector.fromArray(S, qkv, q[1] + qh + L);
            FloatVector q2 = FloatVector.fromArray(S, qkv, q[1] + qh + 2 * L), q3 = FloatVector.fromArray(S, qkv, q[1] + qh + 3 * L);
            FloatVector r0 = FloatVector.fromArray(S, qkv, q[2] + qh), r1 = FloatVector.fromArray(S, qkv, q[2] + qh + L);
            FloatVector r2 = FloatVector.fromArray(S, qkv, q[2] + qh + 2 * L), r3 = FloatVector.fromArray(S, qkv, q[2] + qh + 3 * L);
            FloatVector s0 = FloatVector.fromArray(S, qkv, q[3] + qh), s1 = FloatVector.fromArray(S, qkv, q[3] + qh + L);
            FloatVector s2 = FloatVector.fromArray(S, qkv, q[3] + qh + 2 * L), s3 = FloatVector.fromArray(S, qkv, q[3] + qh + 3 * L);
            int w0 = wo[0] + h * n[0] - from, w1 = wo[1] + h * n[1] - from, w2 = wo[2] + h * n[2] - from, w3 = wo[3] + h * n[3] - from;
            for (int t = t0; t <= t1; t++) {
                int ka = ko + t * c + qh;
                FloatVector k0 = FloatVector.fromArray(S, k, ka), k1 = FloatVector.fromArray(S, k, ka + L);
                FloatVector k2 = FloatVector.fromArray(S, k, ka + 2 * L), k3 = FloatVector.fromArray(S, k, ka + 3 * L);
                FloatVector zero = FloatVector.zero(S);
                FloatVector a = p3.fma(k3, p2.fma(k2, p1.fma(k1, p0.fma(k0, zero))));
                FloatVector b = q3.fma(k3, q2.fma(k2, q1.fma(k1, q0.fma(k0, zero))));
                FloatVector d = r3.fma(k3, r2.fma(k2, r1.fma(k1, r0.fma(k0, zero))));
                FloatVector e = s3.fma(k3, s2.fma(k2, s1.fma(k1, s0.fma(k0, zero))));
                // the four sums at once, pairing lanes as VectorMath.sum does (so the same sums); written out here, as a
                // vector passed to a helper C2 does not inline (past NodeCountInliningCutoff) is boxed
                FloatVector ab = HALF_LO.selectFrom(a, b).add(HALF_HI.selectFrom(a, b));
                FloatVector de = HALF_LO.selectFrom(d, e).add(HALF_HI.selectFrom(d, e));
                FloatVector sums = QUARTER_LO.selectFrom(ab, de).add(QUARTER_HI.selectFrom(ab, de));
                if (L >= 16) sums = sums.add(sums.rearrange(XOR_2));
                if (L >= 8) sums = sums.add(sums.rearrange(XOR_1));
                w[w0 + t] = sums.lane(0) * scale;
                w[w1 + t] = sums.lane(L / 4) * scale;
                w[w2 + t] = sums.lane(L / 2) * scale;
                w[w3 + t] = sums.lane(3 * L / 4) * scale;
            }
        }
    }

    /**
     * One row's value sums over positions t0..t1, added to rec[o …]. When a head is whole runs of four vectors, each
     * run's sums stay in registers over the positions (loading and storing them at every position took 2.5× as long).
     */
    static void values(float[] rec, int o, float[] w, int wo, int n, int from, float[] v, int vo, int t0, int t1, int c,
                       int nh) {
        int hs = c / nh;
        if (hs % (4 * L) != 0) {
            for (int t = t0; t <= t1; t++) {
                int row = vo + t * c, x = wo + t - from;
                for (int h = 0; h < nh; h++) Attention.axpy(w[x + h * n], v, row + h * hs, rec, o + h * hs, hs);
            }
            return;
        }
        for (int h = 0; h < nh; h++) {
            int x = wo + h * n - from;
            for (int i = 0; i < hs; i += 4 * L) {
                int at = o + h * hs + i, col = vo + h * hs + i;
                FloatVector a0 = FloatVector.fromArray(S, rec, at), a1 = FloatVector.fromArray(S, rec, at + L);
                FloatVector a2 = FloatVector.fromArray(S, rec, at + 2 * L), a3 = FloatVector.fromArray(S, rec, at + 3 * L);
                for (int t = t0; t <= t1; t++) {
                    int row = col + t * c;
                    FloatVector p = FloatVector.broadcast(S, w[x + t]);
                    a0 = FloatVector.fromArray(S, v, row).fma(p, a0);
                    a1 = FloatVector.fromArray(S, v, row + L).fma(p, a1);
                    a2 = FloatVector.fromArray(S, v, row + 2 * L).fma(p, a2);
                    a3 = FloatVector.fromArray(S, v, row + 3 * L).fma(p, a3);
                }
                a0.intoArray(rec, at);
                a1.intoArray(rec, at + L);
                a2.intoArray(rec, at + 2 * L);
                a3.intoArray(rec, at + 3 * L);
            }
        }
    }

    /**
     * Four rows' value sums over positions t0..t1 (rows r: sums at rec[o[r] …]), a head at a time: the rows' sums stay in
     * registers and each value vector is loaded once for the four.
     */
    static void valuesOfFour(float[] rec, int[] o, float[] w, int[] wo, int[] n, int from, float[] v, int vo, int t0,
                             int t1, int c, int nh) {
        int hs = c / nh;
        for (int h = 0; h < nh; h++) {
            int oh = h * hs, x0 = wo[0] + h * n[0] - from, x1 = wo[1] + h * n[1] - from;
            int x2 = wo[2] + h * n[2] - from, x3 = wo[3] + h * n[3] - from;
            FloatVector a0 = FloatVector.fromArray(S, rec, o[0] + oh), a1 = FloatVector.fromArray(S, rec, o[0] + oh + L);
            FloatVector a2 = FloatVector.fromArray(S, rec, o[0] + oh + 2 * L), a3 = FloatVector.fromArray(S, rec, o[0] + oh + 3 * L);
            FloatVector b0 = FloatVector.fromArray(S, rec, o[1] + oh), b1 = FloatVector.fromArray(S, rec, o[1] + oh + L);
            FloatVector b2 = FloatVector.fromArray(S, rec, o[1] + oh + 2 * L), b3 = FloatVector.fromArray(S, rec, o[1] + oh + 3 * L);
            FloatVector d0 = FloatVector.fromArray(S, rec, o[2] + oh), d1 = FloatVector.fromArray(S, rec, o[2] + oh + L);
            FloatVector d2 = FloatVector.fromArray(S, rec, o[2] + oh + 2 * L), d3 = FloatVector.fromArray(S, rec, o[2] + oh + 3 * L);
            FloatVector e0 = FloatVector.fromArray(S, rec, o[3] + oh), e1 = FloatVector.fromArray(S, rec, o[3] + oh + L);
            FloatVector e2 = FloatVector.fromArray(S, rec, o[3] + oh + 2 * L), e3 = FloatVector.fromArray(S, rec, o[3] + oh + 3 * L);
            for (int t = t0; t <= t1; t++) {
                int row = vo + t * c + oh;
                FloatVector v0 = FloatVector.fromArray(S, v, row), v1 = FloatVector.fromArray(S, v, row + L);
                FloatVector v2 = FloatVector.fromArray(S, v, row + 2 * L), v3 = FloatVector.fromArray(S, v, row + 3 * L);
                FloatVector pa = FloatVector.broadcast(S, w[x0 + t]), pb = FloatVector.broadcast(S, w[x1 + t]);
                FloatVector pd = FloatVector.broadcast(S, w[x2 + t]), pe = FloatVector.broadcast(S, w[x3 + t]);
                a0 = v0.fma(pa, a0);
                a1 = v1.fma(pa, a1);
                a2 = v2.fma(pa, a2);
                a3 = v3.fma(pa, a3);
                b0 = v0.fma(pb, b0);
                b1 = v1.fma(pb, b1);
                b2 = v2.fma(pb, b2);
                b3 = v3.fma(pb, b3);
                d0 = v0.fma(pd, d0);
                d1 = v1.fma(pd, d1);
                d2 = v2.fma(pd, d2);
                d3 = v3.fma(pd, d3);
                e0 = v0.fma(pe, e0);
                e1 = v1.fma(pe, e1);
                e2 = v2.fma(pe, e2);
                e3 = v3.fma(pe, e3);
            }
            // stored here, not through a helper: a vector passed to a call C2 does not inline is boxed (Int8Matmul.storeSums)
            a0.intoArray(rec, o[0] + oh);
            a1.intoArray(rec, o[0] + oh + L);
            a2.intoArray(rec, o[0] + oh + 2 * L);
            a3.intoArray(rec, o[0] + oh + 3 * L);
            b0.intoArray(rec, o[1] + oh);
            b1.intoArray(rec, o[1] + oh + L);
            b2.intoArray(rec, o[1] + oh + 2 * L);
            b3.intoArray(rec, o[1] + oh + 3 * L);
            d0.intoArray(rec, o[2] + oh);
            d1.intoArray(rec, o[2] + oh + L);
            d2.intoArray(rec, o[2] + oh + 2 * L);
            d3.intoArray(rec, o[2] + oh + 3 * L);
            e0.intoArray(rec, o[3] + oh);
            e1.intoArray(rec, o[3] + oh + L);
            e2.intoArray(rec, o[3] + oh + 2 * L);
            e3.intoArray(rec, o[3] + oh + 3 * L);
        }
    }
}
