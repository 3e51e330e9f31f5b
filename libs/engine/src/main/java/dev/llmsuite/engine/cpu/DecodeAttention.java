package dev.llmsuite.engine.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One decode step of attention for nb rows at once (sequences decoded together, a prompt's rows of one sequence, a
 * verification's rows): row i's k and v of qkv[nb, 3C] are stored at position pos[i] of its caches [maxT, C], then its
 * q attends over positions 0..pos[i] of that cache.
 *
 * <p>Split by position, not by head (flash-decoding): a row's positions are cut into spans of {@link #SPAN} (0–63,
 * 64–127, …, the last one up to the row's position), and a task takes one span: it reads the span's key rows whole and
 * in order, one forward stream, then sums the value rows a head at a time. A task per head read 256 bytes every 3 KiB
 * of the cache for its keys too, which from memory (the weights stream evicts the cache between layers) ran at ~9 GB/s.
 * Rows of one sequence at consecutive positions (a prompt's) go through a span {@link #TILE} at a time
 * ({@link SpanKernels}' four-row kernels: each key and value vector loaded once for four rows, the rows' queries or
 * sums in registers), and tasks run span by span, so a span's keys and values stay in the core's cache while every
 * row takes it. A 1,000-token prompt's attention: 59–76 ms a layer row by row, 22–25 four rows at a time.
 *
 * <pre>
 *   s_t = q · k_t / √hs                                 t in span j, per head
 *   m_j = max s_t    l_j = Σ exp(s_t − m_j)    o_j = Σ exp(s_t − m_j) · v_t        (a task: span j of a tile's rows)
 *   m = max m_j      out = Σ_j exp(m_j − m) · o_j  /  Σ_j exp(m_j − m) · l_j       (then per row, spans in order)
 * </pre>
 *
 * A row's spans depend on its position alone and every kernel does a row's sums with the same operations, so neither the
 * rows computed beside it nor the number of threads changes its result (speculative verification, prefix-cache
 * restores, a prompt against its rows one by one).
 */
final class DecodeAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Positions a span takes. */
    static final int SPAN = 64;
    /** Rows of one sequence at consecutive positions taken through a span together. */
    static final int TILE = 4;
    /** Each span's m, l (per head) and o ([C]); grown to the largest step a calling thread has run. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    /** A task's scores (TILE rows of nh · SPAN), per worker thread. */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    private DecodeAttention() {}

    static void forward(WorkerPool pool, float[] out, int outOff, float[] qkv, int qkvOff, float[][] kc, int[] kcOff,
                        float[][] vc, int[] vcOff, int[] pos, int c, int nh) {
        int nb = pos.length;
        float scale = (float) (1.0 / Math.sqrt(c / nh));
        int[] firstSpan = new int[nb + 1]; // row i's spans are records firstSpan[i] … firstSpan[i + 1] − 1
        for (int i = 0; i < nb; i++) {
            System.arraycopy(qkv, qkvOff + i * 3 * c + c, kc[i], kcOff[i] + pos[i] * c, c);
            System.arraycopy(qkv, qkvOff + i * 3 * c + 2 * c, vc[i], vcOff[i] + pos[i] * c, c);
            firstSpan[i + 1] = firstSpan[i] + pos[i] / SPAN + 1;
        }
        int per = c + 2 * nh; // a span's record: m [nh], l [nh], o [C]
        float[] scratch = SCRATCH.get();
        if (scratch.length < firstSpan[nb] * per) SCRATCH.set(scratch = new float[Math.multiplyExact(firstSpan[nb], per)]);
        float[] rec = scratch;
        // tiles: runs of up to TILE rows of one cache at consecutive positions (tileStart[u] … tileStart[u + 1] − 1)
        int[] tileStart = new int[nb + 1];
        int tiles = 0;
        for (int i = 0; i < nb; tiles++) {
            int e = i + 1;
            while (e < nb && e - i < TILE && kc[e] == kc[i] && kcOff[e] == kcOff[i] && vc[e] == vc[i] && vcOff[e] == vcOff[i]
                    && pos[e] == pos[e - 1] + 1) e++;
            tileStart[tiles + 1] = i = e;
        }
        // tasks (tile, span), span by span: consecutive tasks read the same span of a sequence while it is cached
        int maxSpans = 0, tasks = 0;
        for (int u = 0; u < tiles; u++) {
            int spans = pos[tileStart[u + 1] - 1] / SPAN + 1; // the tile's last row has the most
            maxSpans = Math.max(maxSpans, spans);
            tasks += spans;
        }
        int[] taskTile = new int[tasks], taskSpan = new int[tasks];
        int n = 0;
        for (int j = 0; j < maxSpans; j++) {
            for (int u = 0; u < tiles; u++) {
                if (pos[tileStart[u + 1] - 1] / SPAN >= j) {
                    taskTile[n] = u;
                    taskSpan[n++] = j;
                }
            }
        }
        pool.run(tasks, x -> {
            int u = taskTile[x], j = taskSpan[x], from = j * SPAN, last = tileStart[u + 1];
            int first = tileStart[u];
            while (pos[first] < from) first++; // a tile's first rows may end before span j
            span(rec, per, firstSpan, j, first, last, qkv, qkvOff, kc[first], kcOff[first], vc[first], vcOff[first], pos, c, nh, scale);
        });
        pool.run(nb, i -> combine(out, outOff + i * c, rec, firstSpan[i] * per, firstSpan[i + 1] - firstSpan[i], c, nh));
    }

    /**
     * Span j of rows first..last − 1 (one sequence, consecutive positions): per row and head the scores' max, the sum of
     * their exps and the exp-weighted value sum, into the row's record j. Four rows go through the positions they share
     * together; a row's positions past the first row's (the last span of a prompt's rows) and rows not in fours one by one.
     */
    private static void span(float[] rec, int per, int[] firstSpan, int j, int first, int last, float[] qkv, int qkvOff,
                             float[] k, int ko, float[] v, int vo, int[] pos, int c, int nh, float scale) {
        int rows = last - first, from = j * SPAN, shared = Math.min(pos[first], from + SPAN - 1);
        float[] w = SCORES.get(); // row r's w[r·nh·SPAN + h·n_r + t − from]: head h's score, then its exp
        if (w.length < TILE * nh * SPAN) SCORES.set(w = new float[TILE * nh * SPAN]);
        int[] wo = new int[rows], n = new int[rows], q = new int[rows], o = new int[rows], to = new int[rows];
        for (int r = 0; r < rows; r++) {
            int i = first + r;
            to[r] = Math.min(pos[i], from + SPAN - 1);
            n[r] = to[r] - from + 1;
            wo[r] = r * nh * SPAN;
            q[r] = qkvOff + i * 3 * c;
            o[r] = (firstSpan[i] + j) * per + 2 * nh;
        }
        boolean four = rows == TILE && SpanKernels.fourRowsTake(c / nh);
        int alone = four ? shared + 1 : from; // the first position each row takes by itself
        if (four) SpanKernels.scoresOfFour(w, wo, n, from, qkv, q, k, ko, from, shared, c, nh, scale);
        for (int r = 0; r < rows; r++) {
            if (alone <= to[r]) SpanKernels.scores(w, wo[r], n[r], from, qkv, q[r], k, ko, alone, to[r], c, nh, scale);
            int m = o[r] - 2 * nh;
            for (int h = 0; h < nh; h++) {
                int at = wo[r] + h * n[r];
                float max = VectorMath.max(w, at, n[r]);
                rec[m + h] = max;
                rec[m + nh + h] = expAndSum(w, at, n[r], max);
            }
            Arrays.fill(rec, o[r], o[r] + c, 0f);
        }
        if (four) SpanKernels.valuesOfFour(rec, o, w, wo, n, from, v, vo, from, shared, c, nh);
        for (int r = 0; r < rows; r++) {
            if (alone <= to[r]) SpanKernels.values(rec, o[r], w, wo[r], n[r], from, v, vo, alone, to[r], c, nh);
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
