package dev.llmsuite.engine;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import dev.llmsuite.engine.train.LearningRateSchedule;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingTest {

    @Test
    void parameterCountsAreTheBooks() {
        assertEquals(163_009_536L, GptConfig.GPT2_124M.parameterCount(), "the book's untied count");
        assertEquals(124_412_160L, GptConfig.GPT2_124M.withTiedOutputHead(true).parameterCount(), "tied, as GPT-2");
    }

    @Test
    void aSmallModelOverfitsOneBatch() {
        try (CpuBackend be = CpuBackend.allCores()) {
            GptModel m = new GptModel(be, GptConfig.TINY);
            m.initialize(1);
            Random r = new Random(2);
            int[] x = GptModelGradientTest.randomIds(r, 4 * 16, 97), y = GptModelGradientTest.randomIds(r, 4 * 16, 97);
            AdamW opt = new AdamW(m, new AdamW.Settings(0.9f, 0.999f, 1e-8f, 0.0f));
            double first = 0, loss = 0;
            for (int step = 0; step < 300; step++) {
                loss = m.forward(x, y, 4, 16, true, step);
                if (step == 0) first = loss;
                m.zeroGradients();
                m.backward(1f);
                AdamW.clipGradientNorm(m, 1.0);
                opt.step(3e-3f);
            }
            assertEquals(Math.log(97), first, 0.1);
            assertTrue(loss < 0.05, "memorized one batch: loss " + loss);
        }
    }

    @Test
    void gradientAccumulationEqualsOneBigBatch() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, GptConfig.TINY);
            m.initialize(4);
            Random r = new Random(6);
            int[] x = GptModelGradientTest.randomIds(r, 4 * 8, 97), y = GptModelGradientTest.randomIds(r, 4 * 8, 97);
            m.forward(x, y, 4, 8, false, 0);
            m.zeroGradients();
            m.backward(1f);
            float[] whole = new float[(int) m.layout().totalSize()];
            be.read(m.gradients(), 0, whole, 0, whole.length);
            m.zeroGradients();
            for (int half = 0; half < 2; half++) {
                int[] xs = Arrays.copyOfRange(x, half * 16, half * 16 + 16);
                int[] ys = Arrays.copyOfRange(y, half * 16, half * 16 + 16);
                m.forward(xs, ys, 2, 8, false, 0);
                m.backward(0.5f);
            }
            float[] accumulated = new float[whole.length];
            be.read(m.gradients(), 0, accumulated, 0, accumulated.length);
            for (int i = 0; i < whole.length; i++) assertEquals(whole[i], accumulated[i], 1e-5 + 1e-4 * Math.abs(whole[i]));
        }
    }

    @Test
    void buffersTakenOverFromOtherShapesGiveTheSameLossAndGradients() {
        try (CpuBackend be = new CpuBackend(2)) {
            Random r = new Random(5);
            int v = GptConfig.TINY.vocabSize();
            int[] x = GptModelGradientTest.randomIds(r, 2 * 16, v), y = GptModelGradientTest.randomIds(r, 2 * 16, v);
            GptModel fresh = new GptModel(be, GptConfig.TINY);
            fresh.initialize(9);
            double expectedLoss = fresh.forward(x, y, 2, 16, true, 4);
            fresh.zeroGradients();
            fresh.backward(1f);
            float[] expected = read(be, fresh);

            GptModel reused = new GptModel(be, GptConfig.TINY);
            reused.initialize(9);
            // a larger shape first (its buffers then hold other data), then a smaller one, then ours
            for (int[] shape : new int[][] {{3, 16}, {1, 5}}) {
                int n = shape[0] * shape[1];
                reused.forward(GptModelGradientTest.randomIds(r, n, v), GptModelGradientTest.randomIds(r, n, v), shape[0], shape[1], true, 1);
                reused.zeroGradients();
                reused.backward(1f);
            }
            double loss = reused.forward(x, y, 2, 16, true, 4);
            reused.zeroGradients();
            reused.backward(1f);
            assertEquals(expectedLoss, loss, 0.0);
            assertTrue(Arrays.equals(expected, read(be, reused)), "gradients bit for bit");
        }
    }

    private static float[] read(CpuBackend be, GptModel m) {
        float[] g = new float[(int) m.layout().totalSize()];
        be.read(m.gradients(), 0, g, 0, g.length);
        return g;
    }

    @Test
    void scheduleWarmsUpThenDecaysToTheMinimum() {
        LearningRateSchedule s = new LearningRateSchedule(1e-5, 1e-3, 1e-4, 10, 110);
        assertEquals(1e-5, s.at(0), 1e-12);
        assertEquals(1e-3, s.at(10), 1e-12);
        assertEquals((1e-3 + 1e-4) / 2, s.at(60), 1e-12);
        assertEquals(1e-4, s.at(110), 1e-12);
        assertEquals(1e-4, s.at(500), 1e-12);
    }
}
