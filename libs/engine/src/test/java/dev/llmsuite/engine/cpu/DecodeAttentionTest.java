package dev.llmsuite.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Decode attention split into spans of positions: against softmax attention computed directly in double precision at
 * positions inside the first span, on span edges and over several spans; a row's result the same to the bit alone, beside
 * other rows, and on one or two threads.
 */
class DecodeAttentionTest {
    private static final int C = 96, NH = 3, MAX_T = 300;
    private static final int M = DecodeAttention.MIN_SPAN;
    /** One span, span edges, several minimum spans, and spans longer than the minimum (from position 4·MIN_SPAN on). */
    private static final int[] POSITIONS = {0, 5, M - 1, M, M + 1, 100, 4 * M + 3, 257};

    @Test
    void equalsSoftmaxAttentionComputedDirectly() {
        Random rnd = new Random(7);
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int p : POSITIONS) {
                float[] keys = random(rnd, MAX_T * C), values = random(rnd, MAX_T * C), qkv = random(rnd, 3 * C), out = new float[C];
                DecodeAttention.forward(pool, out, 0, qkv, 0, new float[][] {keys}, new int[] {0}, new float[][] {values},
                        new int[] {0}, new int[] {p}, C, NH);
                double[] want = reference(qkv, keys, values, p);
                for (int j = 0; j < C; j++) assertEquals(want[j], out[j], 1e-5 * (1 + Math.abs(want[j])), "position " + p + " channel " + j);
            }
        }
    }

    @Test
    void aRowIsTheSameAloneBesideOthersAndOnEitherThreadCount() {
        Random rnd = new Random(8);
        int nb = POSITIONS.length;
        float[][] keys = new float[nb][], values = new float[nb][];
        for (int i = 0; i < nb; i++) {
            keys[i] = random(rnd, MAX_T * C);
            values[i] = random(rnd, MAX_T * C);
        }
        float[] qkv = random(rnd, nb * 3 * C), together = new float[nb * C];
        int[] zeros = new int[nb];
        try (WorkerPool two = new WorkerPool(2); WorkerPool one = new WorkerPool(1)) {
            DecodeAttention.forward(two, together, 0, qkv, 0, keys, zeros, values, zeros, POSITIONS, C, NH);
            for (int i = 0; i < nb; i++) {
                for (WorkerPool pool : new WorkerPool[] {one, two}) {
                    float[] alone = new float[C];
                    DecodeAttention.forward(pool, alone, 0, qkv, i * 3 * C, new float[][] {keys[i]}, new int[] {0},
                            new float[][] {values[i]}, new int[] {0}, new int[] {POSITIONS[i]}, C, NH);
                    float[] row = new float[C];
                    System.arraycopy(together, i * C, row, 0, C);
                    assertArrayEquals(alone, row, "row " + i + " at position " + POSITIONS[i]);
                }
            }
        }
    }

    /** Per head: softmax(q · k_t / √hs) over t ≤ p, then Σ weights · v_t; the new k and v are qkv's, at position p. */
    private static double[] reference(float[] qkv, float[] keys, float[] values, int p) {
        int hs = C / NH;
        double[] out = new double[C];
        for (int h = 0; h < NH; h++) {
            double[] s = new double[p + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int t = 0; t <= p; t++) {
                for (int j = 0; j < hs; j++) s[t] += (double) qkv[h * hs + j] * key(qkv, keys, t, p, h * hs + j);
                s[t] /= Math.sqrt(hs);
                max = Math.max(max, s[t]);
            }
            for (int t = 0; t <= p; t++) sum += (s[t] = Math.exp(s[t] - max));
            for (int t = 0; t <= p; t++) {
                for (int j = 0; j < hs; j++) out[h * hs + j] += s[t] / sum * value(qkv, values, t, p, h * hs + j);
            }
        }
        return out;
    }

    private static double key(float[] qkv, float[] keys, int t, int p, int j) { return t == p ? qkv[C + j] : keys[t * C + j]; }

    private static double value(float[] qkv, float[] values, int t, int p, int j) { return t == p ? qkv[2 * C + j] : values[t * C + j]; }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
