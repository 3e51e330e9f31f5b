package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.cpu.Int8Matrix;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** 8-bit serving weights: the quantization's error bound, the kernel against the dequantized product, the model's logits. */
class Int8WeightsTest {

    static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void eachValueIsWithinHalfAStepOfItsGroupsScale() {
        try (CpuBackend be = new CpuBackend(1)) {
            int rows = 5, cols = 128;
            float[] w = random(new Random(1), rows * cols);
            w[7] = 40f; // an outlier coarsens its own group only
            Tensor t = be.allocate(w.length);
            be.write(t, 0, w, 0, w.length);
            Int8Matrix q = (Int8Matrix) be.quantize8(t, rows, cols);
            assertEquals(64, q.group());
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < cols; k++) {
                    float step = q.scale(r, k / 64);
                    assertTrue(Math.abs(q.get(r, k) - w[r * cols + k]) <= step / 2 + 1e-6f, "row " + r + " col " + k);
                }
            }
            assertTrue(q.scale(0, 1) < 0.05f, "the outlier's neighbour group keeps a fine step: " + q.scale(0, 1));
        }
    }

    @Test
    void theKernelComputesTheDequantizedProduct() {
        Random rnd = new Random(2);
        int[][] shapes = {{1, 64, 33}, {1, 768, 130}, {1, 192, 67}, {1, 200, 9}, {3, 128, 70}, {4, 768, 129}, {7, 16, 5}, {9, 200, 65}, {32, 384, 64}};
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                for (int[] s : shapes) {
                    int n = s[0], c = s[1], oc = s[2];
                    float[] w = random(rnd, oc * c), x = random(rnd, n * c), bias = random(rnd, oc);
                    Tensor tw = be.allocate(w.length), tx = be.allocate(x.length), tb = be.allocate(oc), out = be.allocate((long) n * oc);
                    be.write(tw, 0, w, 0, w.length);
                    be.write(tx, 0, x, 0, x.length);
                    be.write(tb, 0, bias, 0, oc);
                    Int8Matrix q = (Int8Matrix) be.quantize8(tw, oc, c);
                    be.matmulForward(out, tx, q, tb, n, c, oc);
                    float[] got = new float[n * oc];
                    be.read(out, 0, got, 0, got.length);
                    for (int r = 0; r < n; r++) {
                        for (int o = 0; o < oc; o++) {
                            double want = bias[o];
                            for (int k = 0; k < c; k++) want += (double) q.get(o, k) * x[r * c + k];
                            assertEquals(want, got[r * oc + o], 1e-4 * (1 + Math.abs(want)),
                                    "n=" + n + " c=" + c + " oc=" + oc + " [" + r + "," + o + "]");
                        }
                    }
                }
            }
        }
    }

    /**
     * Rows do not depend on each other: each row of an n-row product equals that row computed alone, to the bit (pairs
     * of input rows against whole blocks, an odd last row alone, a partial last block row by row).
     */
    @Test
    void eachRowIsTheOneRowProductToTheBit() {
        Random rnd = new Random(5);
        int[][] shapes = {{768, 130}, {192, 67}, {3072, 9}, {64, 4}};
        try (CpuBackend be = new CpuBackend(2)) {
            for (int[] s : shapes) {
                int c = s[0], oc = s[1];
                Tensor tw = be.allocate((long) oc * c), tb = be.allocate(oc);
                be.write(tw, 0, random(rnd, oc * c), 0, oc * c);
                be.write(tb, 0, random(rnd, oc), 0, oc);
                Int8Matrix q = (Int8Matrix) be.quantize8(tw, oc, c);
                for (int n = 1; n <= 9; n++) {
                    float[] x = random(rnd, n * c), all = new float[n * oc];
                    Tensor tx = be.allocate(x.length), out = be.allocate((long) n * oc), one = be.allocate(oc);
                    be.write(tx, 0, x, 0, x.length);
                    be.matmulForward(out, tx, q, tb, n, c, oc);
                    be.read(out, 0, all, 0, all.length);
                    for (int r = 0; r < n; r++) {
                        be.matmulForward(one, be.slice(tx, (long) r * c, c), q, tb, 1, c, oc);
                        float[] alone = new float[oc];
                        be.read(one, 0, alone, 0, oc);
                        for (int o = 0; o < oc; o++) {
                            assertEquals(Float.floatToIntBits(alone[o]), Float.floatToIntBits(all[r * oc + o]),
                                    "c=" + c + " oc=" + oc + " n=" + n + " [" + r + "," + o + "]");
                        }
                    }
                }
            }
        }
    }

    @Test
    void quantizedDecodeStaysCloseToFp32() {
        decodeStaysCloseToFp32(ServingWeights.INT8, 0.999);
    }

    /** Eight decode steps of a small model with these serving weights: the logits' cosine to fp32's stays above minCosine. */
    static void decodeStaysCloseToFp32(ServingWeights format, double minCosine) {
        GptConfig cfg = new GptConfig(300, 32, 64, 4, 2, 0.0, true, true);
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel model = new GptModel(be, cfg);
            model.initialize(3);
            try (Decoder exact = Decoder.fp32(model); Decoder served = Decoder.of(model, format)) {
                assertEquals(format, served.weights());
                int[] prompt = {5, 17, 250, 3};
                KvCache a = new KvCache(be, cfg, 16), b = new KvCache(be, cfg, 16);
                float[] la = exact.prefill(prompt, a), lb = served.prefill(prompt, b);
                for (int step = 0; step < 8; step++) {
                    la = exact.decode(step * 31 % 300, a);
                    lb = served.decode(step * 31 % 300, b);
                    double dot = 0, na = 0, nb = 0, diff = 0;
                    for (int i = 0; i < la.length; i++) {
                        dot += la[i] * lb[i];
                        na += la[i] * la[i];
                        nb += lb[i] * lb[i];
                        diff = Math.max(diff, Math.abs(la[i] - lb[i]));
                    }
                    assertTrue(diff > 0, format.label() + ": the converted weights are really read");
                    assertTrue(dot / Math.sqrt(na * nb) > minCosine, format.label() + " step " + step + ": cosine " + dot / Math.sqrt(na * nb));
                }
            }
        }
    }
}
