package dev.llmsuite.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One decode step of attention for nb rows at once (sequences decoded together, a prompt's rows of one sequence, a
 * verification's rows): row i's k and v of qkv[nb, 3C] are stored at position pos[i] of its caches [maxT, C], then its
 * q attends over positions 0..pos[i] of that cache.
 *
 * <p>Split by position, not by head (flash-decoding): a row's positions are cut into up to {@link #SPANS} spans of at
 * least {@link #MIN_SPAN} from position 0 (enough tasks for the threads of a one-row decode step, few enough partial
 * results that a prompt's rows do not spend their time combining them), and a task takes one row's span: it reads the
 * span's key rows whole and in order, one forward stream, then sums the value rows a head at a time with the head's
 * sums in registers. A task per head read 256 bytes every 3 KiB of the cache for its keys too, which from memory (the
 * weights stream evicts the cache between layers) ran at ~9 GB/s: 140 µs a layer at position 200, 35 µs when cached.
 *
 * <pre>
 *   s_t = q · k_t / √hs                                 t in span j, per head
 *   m_j = max s_t    l_j = Σ exp(s_t − m_j)    o_j = Σ exp(s_t − m_j) · v_t        (a task: one row's span j)
 *   m = max m_j      out = Σ_j exp(m_j − m) · o_j  /  Σ_j exp(m_j − m) · l_j       (then per row, spans in order)
 * </pre>
 *
 * A row's spans depend on its position alone, not on the rows computed beside it or the number of threads, so neither
 * changes its result (speculative verification, prefix-cache restores).
 */
final class DecodeAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Spans a row's positions are cut into, at most, and the fewest positions a span takes. */
    static final int SPANS = 4, MIN_SPAN = 32;
    /** Each span's m, l (per head) and o ([C]); grown to the largest step a calling thread has run. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    /** A task's scores, per worker thread; grown as spans lengthen. */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    /** The positions each span of a row at position pos takes (the last span: what is left). */
    static int spanLength(int pos) {
        return Math.max(MIN_SPAN, (pos + SPANS) / SPANS); // ⌈(pos + 1) / SPANS⌉
    }

    private DecodeAttention() {}

    static void forward(WorkerPool pool, float[] out, int outOff, float[] qkv, int qkvOff, float[][] kc, int[] kcOff,
                        float[][] vc, int[] vcOff, int[] pos, int c, int nh) {
        int nb = pos.length, hs = c / nh;
        float scale = (float) (1.0 / Math.sqrt(hs));
        int[] firstSpan = new int[nb + 1]; // row i's spans are firstSpan[i] … firstSpan[i + 1] − 1
        for (int i = 0; i < nb; i++) {
            System.arraycopy(qkv, qkvOff + i * 3 * c + c, kc[i], kcOff[i] + pos[i] * c, c);
            System.arraycopy(qkv, qkvOff + i * 3 * c + 2 * c, vc[i], vcOff[i] + pos[i] * c, c);
            firstSpan[i + 1] = firstSpan[i] + pos[i] / spanLength(pos[i]) + 1;
        }
        int spans = firstSpan[nb], per = c + 2 * nh; // a span's record: m [nh], l [nh], o [C]
        float[] scratch = SCRATCH.get();
        if (scratch.length < spans * per) SCRATCH.set(scratch = new float[Math.multiplyExact(spans, per)]);
        float[] rec = scratch;
        // span-major: consecutive tasks are the rows' same span, whose keys and values (one sequence's) stay cached
        int maxSpans = 0;
        for (int i = 0; i < nb; i++) maxSpans = Math.max(maxSpans, firstSpan[i + 1] - firstSpan[i]);
        int[] order = new int[spans], rowOf = new int[spans];
        int n = 0;
        for (int j = 0; j < maxSpans; j++) {
            for (int i = 0; i < nb; i++) {
                if (firstSpan[i] + j < firstSpan[i + 1]) rowOf[order[n++] = firstSpan[i] + j] = i;
            }
        }
        pool.run(spans, u -> {
            int s = order[u], i = rowOf[s], span = spanLength(pos[i]), from = (s - firstSpan[i]) * span, to = Math.min(pos[i], from + span - 1);
            span(rec, s * per, qkv, qkvOff + i * 3 * c, kc[i], kcOff[i], vc[i], vcOff[i], from, to, c, nh, scale);
        });
        pool.run(nb, i -> combine(out, outOff + i * c, rec, firstSpan[i] * per, firstSpan[i + 1] - firstSpan[i], c, nh));
    }

    /** Positions from..to of one row: per head the scores' max, the sum of their exps and the exp-weighted value sum. */
    private static void span(float[] rec, int at, float[] qkv, int q, float[] k, int ko, float[] v, int vo, int from, int to,
                             int c, int nh, float scale) {
        int hs = c / nh, n = to - from + 1;
        float[] w = SCORES.get(); // w[h·n + t − from]: head h's score, then its exp
        if (w.length < nh * n) SCORES.set(w = new float[nh * n]);
        scores(w, n, qkv, q, k, ko, from, to, c, nh, scale);
        int o = at + 2 * nh;
        for (int h = 0; h < nh; h++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < n; t++) max = Math.max(max, w[h * n + t]);
            rec[at + h] = max;
            rec[at + nh + h] = expAndSum(w, h * n, n, max);
        }
        Arrays.fill(rec, o, o + c, 0f);
        values(rec, o, w, n, v, vo, from, to, c, nh);
    }

    /**
     * w[h·n + t − from] = q_h · k_t,h · scale for positions from..to, each key row read whole. Four heads' dot products
     * side by side when a head is whole vectors (each the operations of {@link Attention#dot}, so the same score): one
     * product a head at a time waited on its own FMAs and sum, ~7.5 ns a score in cache.
     */
    private static void scores(float[] w, int n, float[] qkv, int q, float[] k, int ko, int from, int to, int c, int nh,
                               float scale) {
        int hs = c / nh, four = hs % L == 0 ? nh / 4 * 4 : 0;
        for (int t = from; t <= to; t++) {
            int row = ko + t * c, x = t - from;
            for (int h = 0; h < four; h += 4) {
                int qa = q + h * hs, ka = row + h * hs;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < hs; i += L) {
                    a0 = FloatVector.fromArray(S, qkv, qa + i).fma(FloatVector.fromArray(S, k, ka + i), a0);
                    a1 = FloatVector.fromArray(S, qkv, qa + hs + i).fma(FloatVector.fromArray(S, k, ka + hs + i), a1);
                    a2 = FloatVector.fromArray(S, qkv, qa + 2 * hs + i).fma(FloatVector.fromArray(S, k, ka + 2 * hs + i), a2);
                    a3 = FloatVector.fromArray(S, qkv, qa + 3 * hs + i).fma(FloatVector.fromArray(S, k, ka + 3 * hs + i), a3);
                }
                w[h * n + x] = VectorMath.sum(a0) * scale;
                w[(h + 1) * n + x] = VectorMath.sum(a1) * scale;
                w[(h + 2) * n + x] = VectorMath.sum(a2) * scale;
                w[(h + 3) * n + x] = VectorMath.sum(a3) * scale;
            }
            for (int h = four; h < nh; h++) w[h * n + x] = Attention.dot(qkv, q + h * hs, k, row + h * hs, hs) * scale;
        }
    }

    /**
     * rec[o + h·hs …] += w[h·n + t − from] · v_t,h for positions from..to in order. When a head is whole runs of four
     * vectors, each run's sums stay in registers over the positions (the operations of {@link Attention#axpy}, so the
     * same sums): loading and storing the sums at every position took 2.5× as long in cache.
     */
    private static void values(float[] rec, int o, float[] w, int n, float[] v, int vo, int from, int to, int c, int nh) {
        int hs = c / nh;
        if (hs % (4 * L) != 0) {
            for (int t = from; t <= to; t++) {
                int row = vo + t * c;
                for (int h = 0; h < nh; h++) Attention.axpy(w[h * n + t - from], v, row + h * hs, rec, o + h * hs, hs);
            }
            return;
        }
        for (int h = 0; h < nh; h++) {
            for (int i = 0; i < hs; i += 4 * L) {
                int at = o + h * hs + i, col = vo + h * hs + i;
                FloatVector a0 = FloatVector.fromArray(S, rec, at), a1 = FloatVector.fromArray(S, rec, at + L);
                FloatVector a2 = FloatVector.fromArray(S, rec, at + 2 * L), a3 = FloatVector.fromArray(S, rec, at + 3 * L);
                for (int t = from; t <= to; t++) {
                    int row = col + t * c;
                    FloatVector p = FloatVector.broadcast(S, w[h * n + t - from]);
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
     * w[off..off+n) = exp(w − max), returning their sum: a vector exp (Math.exp a score was most of a decode step's
     * attention at a few hundred positions), summed lane-wise in a fixed order.
     */
    private static float expAndSum(float[] w, int off, int n, float max) {
        int i = 0;
        FloatVector sums = FloatVector.zero(S);
        for (; i + L <= n; i += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, w, off + i).sub(max));
            e.intoArray(w, off + i);
            sums = sums.add(e);
        }
        float sum = VectorMath.sum(sums);
        for (; i < n; i++) sum += (w[off + i] = VectorMath.exp(w[off + i] - max));
        return sum;
    }

    /** out[C] = per head Σ_j exp(m_j − m) · o_j / Σ_j exp(m_j − m) · l_j over the row's spans, in order. */
    private static void combine(float[] out, int outOff, float[] rec, int at, int spans, int c, int nh) {
        int hs = c / nh, per = c + 2 * nh;
        for (int h = 0; h < nh; h++) {
            float max = Float.NEGATIVE_INFINITY, total = 0;
            for (int j = 0; j < spans; j++) max = Math.max(max, rec[at + j * per + h]);
            int o = outOff + h * hs;
            Arrays.fill(out, o, o + hs, 0f);
            for (int j = 0; j < spans; j++) {
                int r = at + j * per;
                float a = VectorMath.exp(rec[r + h] - max);
                total += a * rec[r + nh + h];
                Attention.axpy(a, rec, r + 2 * nh + h * hs, out, o, hs);
            }
            float inv = 1f / total;
            int x = 0;
            for (; x + L <= hs; x += L) FloatVector.fromArray(S, out, o + x).mul(inv).intoArray(out, o + x);
            for (; x < hs; x++) out[o + x] *= inv;
        }
    }
}
