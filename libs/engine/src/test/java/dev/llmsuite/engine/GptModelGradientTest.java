package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.ParameterLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The whole model against the double-precision reference: the same loss and logits, and every
 * parameter's gradient against central finite differences of the reference's loss.
 */
class GptModelGradientTest {

    /** Odd sizes on purpose: N = 14 and C = 20 are not multiples of any tile, V = 29 not of a vector. */
    static final GptConfig ODD = new GptConfig(29, 9, 20, 4, 2, 0.0, true, false);

    static int[] randomIds(Random r, int n, int v) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(v);
        return ids;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Random weights with LayerNorm weights near 1, so every path carries signal. */
    static float[] initialize(GptModel model, long seed) {
        model.initialize(seed);
        int n = (int) model.layout().totalSize();
        float[] params = new float[n];
        Random r = new Random(seed + 1);
        for (int i = 0; i < n; i++) params[i] = (float) (r.nextGaussian() * 0.3);
        for (ParameterLayout.Spec s : model.layout().specs()) {
            if (s.name().contains("ln_") && s.name().endsWith("weight")) {
                for (int i = 0; i < s.size(); i++) params[(int) s.offset() + i] = 1f + 0.1f * (float) r.nextGaussian();
            }
        }
        model.backend().write(model.parameters(), 0, params, 0, n);
        return params;
    }

    void checkGradients(GptConfig cfg, int b, int t, double dropRate, int checks) {
        GptConfig c = cfg.withDropRate(dropRate);
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel model = new GptModel(be, c);
            float[] params = initialize(model, 7);
            Random r = new Random(3);
            int[] ids = randomIds(r, b * t, c.vocabSize());
            int[] targets = randomIds(r, b * t, c.vocabSize());
            targets[1] = -100; // ignored positions take part too
            long seed = 99;

            double loss = model.forward(ids, targets, b, t, true, seed);
            float[] logits = model.logits();
            ReferenceGpt ref = new ReferenceGpt(c, toDouble(params));
            double[] refLogits = new double[b * t * c.vocabSize()];
            double refLoss = ref.loss(ids, targets, b, t, dropRate, seed, refLogits);
            assertEquals(refLoss, loss, 1e-5 * Math.abs(refLoss), "loss");
            for (int i = 0; i < logits.length; i++) assertEquals(refLogits[i], logits[i], 1e-4 + 1e-4 * Math.abs(refLogits[i]), "logit " + i);

            model.zeroGradients();
            model.backward(1f);
            float[] grads = new float[params.length];
            be.read(model.gradients(), 0, grads, 0, grads.length);

            double[] theta = toDouble(params);
            double h = 1e-5;
            int worst = -1;
            double worstErr = 0;
            // every parameter of small tensors, a random sample of large ones
            for (ParameterLayout.Spec s : model.layout().specs()) {
                int count = (int) Math.min(s.size(), checks);
                for (int k = 0; k < count; k++) {
                    int i = (int) s.offset() + (s.size() <= checks ? k : r.nextInt((int) s.size()));
                    double keep = theta[i];
                    theta[i] = keep + h;
                    double up = new ReferenceGpt(c, theta).loss(ids, targets, b, t, dropRate, seed, null);
                    theta[i] = keep - h;
                    double down = new ReferenceGpt(c, theta).loss(ids, targets, b, t, dropRate, seed, null);
                    theta[i] = keep;
                    double fd = (up - down) / (2 * h);
                    double err = Math.abs(grads[i] - fd) / (1e-4 + Math.abs(fd));
                    if (err > worstErr) { worstErr = err; worst = i; }
                    assertTrue(Math.abs(grads[i] - fd) <= 2e-4 + 2e-3 * Math.abs(fd),
                            s.name() + "[" + (i - s.offset()) + "]: backward " + grads[i] + ", finite difference " + fd);
                }
            }
            System.out.printf("gradient check %s dropout %.1f: worst relative error %.2e at %d%n", c, dropRate, worstErr, worst);
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesOnOddShapes() {
        checkGradients(ODD, 2, 7, 0.0, 12);
    }

    @Test
    void gradientsMatchFiniteDifferencesWithDropout() {
        checkGradients(ODD, 2, 7, 0.1, 8);
    }

    @Test
    void gradientsMatchFiniteDifferencesWithATiedHeadAndNoQkvBias() {
        checkGradients(new GptConfig(33, 8, 32, 2, 1, 0.0, false, true), 3, 5, 0.0, 10);
    }

    @Test
    void oneAndTwoThreadsGiveIdenticalResults() {
        float[][] grads = new float[2][];
        double[] losses = new double[2];
        for (int threads = 1; threads <= 2; threads++) {
            try (CpuBackend be = new CpuBackend(threads)) {
                GptModel model = new GptModel(be, GptConfig.TINY.withDropRate(0.1));
                model.initialize(1);
                Random r = new Random(5);
                int[] ids = randomIds(r, 4 * 16, 97), targets = randomIds(r, 4 * 16, 97);
                losses[threads - 1] = model.forward(ids, targets, 4, 16, true, 11);
                model.zeroGradients();
                model.backward(1f);
                grads[threads - 1] = new float[(int) model.layout().totalSize()];
                be.read(model.gradients(), 0, grads[threads - 1], 0, grads[threads - 1].length);
            }
        }
        assertEquals(losses[0], losses[1], 0.0, "bit-identical loss");
        assertArrayEquals(grads[0], grads[1], "bit-identical gradients: work is split by index, not by thread");
    }

    @Test
    void randomInitialLossIsNearLnVocab() {
        try (CpuBackend be = CpuBackend.allCores()) {
            GptConfig c = new GptConfig(1000, 32, 64, 4, 2, 0.0, false, true);
            GptModel model = new GptModel(be, c);
            model.initialize(42);
            Random r = new Random(1);
            double loss = model.forward(randomIds(r, 64, 1000), randomIds(r, 64, 1000), 2, 32, false, 0);
            assertEquals(Math.log(1000), loss, 0.1, "GPT-2 init predicts nearly uniformly");
        }
    }
}
