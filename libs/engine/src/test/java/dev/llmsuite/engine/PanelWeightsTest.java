package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * fp32 panel weights: the product is the true one (against double precision) on awkward shapes, and each row's
 * floats are the same whether it is computed alone or beside up to fourteen others.
 */
class PanelWeightsTest {

    @Test
    void theProductIsRightAndEachRowIndependentOfTheOthers() {
        Random rnd = new Random(8);
        // rows 5 to 15 take the one-pass kernel for five or six rows on whole panels (6 × 96 × 64: whole panels only)
        int[][] shapes = {{1, 64, 33}, {3, 128, 70}, {5, 768, 129}, {6, 96, 64}, {7, 16, 5}, {8, 64, 96}, {9, 200, 65},
                {10, 48, 130}, {11, 40, 70}, {15, 33, 100}};
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                for (int[] s : shapes) {
                    int n = s[0], c = s[1], oc = s[2];
                    float[] w = Int8WeightsTest.random(rnd, oc * c), x = Int8WeightsTest.random(rnd, n * c), bias = Int8WeightsTest.random(rnd, oc);
                    Tensor tw = be.allocate(w.length), tx = be.allocate(x.length), tb = be.allocate(oc), out = be.allocate((long) n * oc);
                    be.write(tw, 0, w, 0, w.length);
                    be.write(tx, 0, x, 0, x.length);
                    be.write(tb, 0, bias, 0, oc);
                    Tensor panels = be.panels(tw, oc, c);
                    boolean withBias = n % 2 == 1; // the output head has none
                    if (!withBias) Arrays.fill(bias, 0f);
                    be.matmulForward(out, tx, panels, withBias ? tb : null, n, c, oc);
                    float[] all = new float[n * oc];
                    be.read(out, 0, all, 0, all.length);
                    for (int r = 0; r < n; r++) {
                        for (int o = 0; o < oc; o++) {
                            double want = bias[o];
                            for (int k = 0; k < c; k++) want += (double) w[o * c + k] * x[r * c + k];
                            assertEquals(want, all[r * oc + o], 1e-4 * (1 + Math.abs(want)), "n=" + n + " c=" + c + " oc=" + oc);
                        }
                        // the same row alone: the same floats
                        Tensor one = be.allocate(oc), xr = be.slice(tx, (long) r * c, c);
                        be.matmulForward(one, xr, panels, withBias ? tb : null, 1, c, oc);
                        float[] alone = new float[oc];
                        be.read(one, 0, alone, 0, oc);
                        assertArrayEquals(Arrays.copyOfRange(all, r * oc, (r + 1) * oc), alone, "row " + r + " of " + n);
                    }
                }
            }
        }
    }
}
