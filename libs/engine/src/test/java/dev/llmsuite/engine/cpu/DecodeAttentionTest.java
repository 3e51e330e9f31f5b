package dev.llmsuite.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Decode attention split into spans of positions: against softmax attention computed directly in double precision at
 * positions inside the first span, on span edges and over several spans; a row's result the same to the bit alone, beside
 * other rows (a prompt's rows taken four at a time among them), and on one or two threads.
 */
class DecodeAttentionTest {
    private static final int C = 96, NH = 3, MAX_T = 300;
    private static final int M = DecodeAttention.SPAN;
    /** One span, span edges, and several spans. */
    private static final int[] POSITIONS = {0, 5, M - 1, M, M + 1, 100, 3 * M + 3, 257};

    @Test
    void equalsSoftmaxAttentionComputedDirectly() {
        Random rnd = new Random(7);
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int p : POSITIONS) {
                float[] keys = random(rnd, MAX_T * C), values = random(rnd, MAX_T * C), qkv = random(rnd, 3 * C), out = new float[C];
                DecodeAttention.forward(pool, out, 0, qkv, 0, new float[][] {keys}, new int[] {0}, new float[][] {values},
                        new int[] {0}, new int[] {p}, C, NH);
                double[] want = reference(qkv, 0, keys, values, p, C, NH); // the call stored qkv's k and v at p
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

    /**
     * A prompt's rows (one sequence, consecutive positions, across span edges, a head of four vectors so that rows go
     * through spans four at a time) beside another sequence's row: each row against softmax attention in double
     * precision, and the same to the bit as the row computed alone, on one thread or two.
     */
    @Test
    void aPromptsRowsTakenFourAtATimeAreEachTheRowAlone() {
        int nh = 3, c = nh * 4 * SpanKernels.L, first = M - 6, rows = 2 * M + 11; // positions M − 6 … 3M + 4
        assertTrue(SpanKernels.fourRowsTake(c / nh), "a head of four vectors takes the four-row kernels");
        Random rnd = new Random(9);
        float[] keys = random(rnd, MAX_T * c), values = random(rnd, MAX_T * c), otherKeys = random(rnd, MAX_T * c);
        float[] otherValues = random(rnd, MAX_T * c), qkv = random(rnd, (rows + 1) * 3 * c), together = new float[(rows + 1) * c];
        float[][] kc = new float[rows + 1][], vc = new float[rows + 1][];
        int[] pos = new int[rows + 1], zeros = new int[rows + 1];
        for (int i = 0; i < rows; i++) {
            kc[i] = keys;
            vc[i] = values;
            pos[i] = first + i;
        }
        kc[rows] = otherKeys;
        vc[rows] = otherValues;
        pos[rows] = first + 2;
        try (WorkerPool two = new WorkerPool(2); WorkerPool one = new WorkerPool(1)) {
            DecodeAttention.forward(two, together, 0, qkv, 0, kc, zeros, vc, zeros, pos, c, nh);
            for (int i = 0; i <= rows; i++) {
                float[] row = new float[c];
                System.arraycopy(together, i * c, row, 0, c);
                double[] want = reference(qkv, i * 3 * c, kc[i], vc[i], pos[i], c, nh);
                for (int j = 0; j < c; j++) assertEquals(want[j], row[j], 1e-5 * (1 + Math.abs(want[j])), "row " + i + " channel " + j);
                for (WorkerPool pool : new WorkerPool[] {one, two}) {
                    float[] alone = new float[c];
                    DecodeAttention.forward(pool, alone, 0, qkv, i * 3 * c, new float[][] {kc[i]}, new int[] {0},
                            new float[][] {vc[i]}, new int[] {0}, new int[] {pos[i]}, c, nh);
                    assertArrayEquals(alone, row, "row " + i + " at position " + pos[i]);
                }
            }
        }
    }

    /** Per head: softmax(q · k_t / √hs) over t ≤ p, then Σ weights · v_t, for the row at qkv[q …] (its k and v in the cache). */
    private static double[] reference(float[] qkv, int q, float[] keys, float[] values, int p, int c, int nh) {
        int hs = c / nh;
        double[] out = new double[c];
        for (int h = 0; h < nh; h++) {
            double[] s = new double[p + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int t = 0; t <= p; t++) {
                for (int j = 0; j < hs; j++) s[t] += (double) qkv[q + h * hs + j] * keys[t * c + h * hs + j];
                s[t] /= Math.sqrt(hs);
                max = Math.max(max, s[t]);
            }
            for (int t = 0; t <= p; t++) sum += (s[t] = Math.exp(s[t] - max));
            for (int t = 0; t <= p; t++) {
                for (int j = 0; j < hs; j++) out[h * hs + j] += s[t] / sum * values[t * c + h * hs + j];
            }
        }
        return out;
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
