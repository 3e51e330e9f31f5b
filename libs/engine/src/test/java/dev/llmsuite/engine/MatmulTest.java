package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llmsuite.engine.cpu.Matmul;
import dev.llmsuite.engine.cpu.WorkerPool;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The blocked, vectorized products against naive double sums, on shapes that hit every tail path. */
class MatmulTest {

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    @Test
    void allThreeProductsMatchNaiveSumsOnAwkwardShapes() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {4, 16, 4}, {5, 33, 9}, {14, 40, 66}, {33, 64, 37}, {70, 100, 130}, {8, 768, 12}};
        Random r = new Random(1);
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int[] s : shapes) {
                int n = s[0], c = s[1], oc = s[2];
                float[] inp = random(r, n * c + 3), w = random(r, oc * c + 5), bias = random(r, oc + 1), dout = random(r, n * oc + 2);
                int inOff = 3, wOff = 5, bOff = 1, dOff = 2;
                float[] out = new float[n * oc + 4];
                Matmul.forward(pool, out, 4, inp, inOff, w, wOff, bias, bOff, n, c, oc);
                float[] dinp = random(r, n * c), dw = random(r, oc * c), db = random(r, oc);
                float[] dinp0 = dinp.clone(), dw0 = dw.clone(), db0 = db.clone();
                Matmul.backward(pool, dinp, 0, dw, 0, db, 0, dout, dOff, inp, inOff, w, wOff, n, c, oc);
                for (int i = 0; i < n; i++) {
                    for (int o = 0; o < oc; o++) {
                        double e = bias[bOff + o];
                        for (int k = 0; k < c; k++) e += (double) inp[inOff + i * c + k] * w[wOff + o * c + k];
                        assertEquals(e, out[4 + i * oc + o], 1e-4 * Math.sqrt(c) + 1e-5 * Math.abs(e), "out " + n + "x" + c + "x" + oc);
                    }
                    for (int k = 0; k < c; k++) {
                        double e = dinp0[i * c + k];
                        for (int o = 0; o < oc; o++) e += (double) dout[dOff + i * oc + o] * w[wOff + o * c + k];
                        assertEquals(e, dinp[i * c + k], 1e-4 * Math.sqrt(oc) + 1e-5 * Math.abs(e), "dinp");
                    }
                }
                for (int o = 0; o < oc; o++) {
                    double eb = db0[o];
                    for (int i = 0; i < n; i++) eb += dout[dOff + i * oc + o];
                    assertEquals(eb, db[o], 1e-4 * Math.sqrt(n), "dbias");
                    for (int k = 0; k < c; k++) {
                        double e = dw0[o * c + k];
                        for (int i = 0; i < n; i++) e += (double) dout[dOff + i * oc + o] * inp[inOff + i * c + k];
                        assertEquals(e, dw[o * c + k], 1e-4 * Math.sqrt(n) + 1e-5 * Math.abs(e), "dweight");
                    }
                }
            }
        }
    }

    /** The contract prefill and the prefix cache rely on: from 16 rows on, a row's output does not depend on N. */
    @Test
    void fromSixteenRowsEachRowGetsTheSameFloatsWhateverTheRowCount() {
        Random r = new Random(2);
        int c = 96, oc = 160; // 160: two full column panels and a narrow one
        float[] inp = random(r, 100 * c), w = random(r, oc * c), bias = random(r, oc);
        try (WorkerPool pool = new WorkerPool(2)) {
            float[] all = new float[100 * oc];
            Matmul.forward(pool, all, 0, inp, 0, w, 0, bias, 0, 100, c, oc);
            for (int[] part : new int[][] {{0, 16}, {37, 16}, {40, 17}, {64, 36}, {83, 17}, {5, 90}}) {
                int from = part[0], n = part[1];
                float[] some = new float[n * oc];
                Matmul.forward(pool, some, 0, inp, from * c, w, 0, bias, 0, n, c, oc);
                for (int i = 0; i < n * oc; i++) {
                    assertEquals(all[from * oc + i], some[i], 0f, "row " + (from + i / oc) + " computed with " + n + " rows");
                }
            }
        }
    }
}
