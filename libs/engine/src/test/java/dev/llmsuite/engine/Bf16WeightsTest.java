package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.Bf16Matrix;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.ServingWeights;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** bfloat16 serving weights: rounding to nearest even, the kernel against the widened product, the model's logits. */
class Bf16WeightsTest {

    private static Bf16Matrix round(CpuBackend be, float[] w, int rows, int cols) {
        Tensor t = be.allocate(w.length);
        be.write(t, 0, w, 0, w.length);
        return (Bf16Matrix) be.quantize16(t, rows, cols);
    }

    @Test
    void valuesRoundToTheNearestBfloat16TiesToEven() {
        try (CpuBackend be = new CpuBackend(1)) {
            Random r = new Random(1);
            float[] w = new float[4096];
            for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
            // ties: exactly halfway between two bfloat16 values, below an even and below an odd last mantissa bit
            w[0] = Float.intBitsToFloat(0x3F808000); // 1.00390625: halfway between 1.0 (even) and 1.0078125 → 1.0
            w[1] = Float.intBitsToFloat(0x3F818000); // halfway between 1.0078125 (odd) and 1.015625 (even) → up
            w[2] = Float.NaN;
            w[3] = Float.POSITIVE_INFINITY;
            w[4] = -0f;
            Bf16Matrix h = round(be, w, 64, 64);
            assertEquals(1.0f, h.get(0, 0));
            assertEquals(Float.intBitsToFloat(0x3F820000), h.get(0, 1));
            assertTrue(Float.isNaN(h.get(0, 2)), "NaN stays NaN");
            assertEquals(Float.POSITIVE_INFINITY, h.get(0, 3));
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(h.get(0, 4)));
            for (int i = 5; i < w.length; i++) {
                float got = h.get(i / 64, i % 64);
                // the two bfloat16 neighbours of w[i]; the chosen one is the nearer (ties: even)
                int bits = Float.floatToRawIntBits(w[i]);
                float down = Float.intBitsToFloat(bits & 0xFFFF0000), up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000);
                double dd = Math.abs((double) w[i] - down), du = Math.abs((double) up - w[i]);
                float want = dd < du ? down : du < dd ? up : ((bits >>> 16) & 1) == 0 ? down : up;
                assertEquals(want, got, "value " + w[i]);
            }
        }
    }

    @Test
    void theKernelComputesTheWidenedProduct() {
        Random rnd = new Random(2);
        int[][] shapes = {{1, 64, 33}, {3, 128, 70}, {4, 768, 129}, {7, 17, 5}, {9, 200, 65}, {32, 384, 64}};
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                for (int[] s : shapes) {
                    int n = s[0], c = s[1], oc = s[2];
                    float[] w = new float[oc * c], x = new float[n * c], bias = new float[oc];
                    for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    for (int i = 0; i < oc; i++) bias[i] = (float) rnd.nextGaussian();
                    Bf16Matrix h = round(be, w, oc, c);
                    Tensor tx = be.allocate(x.length), tb = be.allocate(oc), out = be.allocate((long) n * oc);
                    be.write(tx, 0, x, 0, x.length);
                    be.write(tb, 0, bias, 0, oc);
                    be.matmulForward(out, tx, h, tb, n, c, oc);
                    float[] got = new float[n * oc];
                    be.read(out, 0, got, 0, got.length);
                    for (int r = 0; r < n; r++) {
                        for (int o = 0; o < oc; o++) {
                            double want = bias[o];
                            for (int k = 0; k < c; k++) want += (double) h.get(o, k) * x[r * c + k];
                            assertEquals(want, got[r * oc + o], 1e-4 * (1 + Math.abs(want)) + 1e-5 * Math.sqrt(c),
                                    "n=" + n + " c=" + c + " oc=" + oc + " [" + r + "," + o + "]");
                        }
                    }
                }
            }
        }
    }

    @Test
    void bf16DecodeStaysCloseToFp32() {
        Int8WeightsTest.decodeStaysCloseToFp32(ServingWeights.BF16, 0.9999);
    }
}
