package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.OptimizerState;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run saved after k steps and resumed continues as the run that never stopped. */
class OptimizerStateTest {

    private static double step(GptModel m, AdamW opt, Random r) {
        int b = 2, t = 8, v = m.config().vocabSize();
        int[] x = new int[b * t], y = new int[b * t];
        for (int i = 0; i < x.length; i++) { x[i] = r.nextInt(v); y[i] = r.nextInt(v); }
        double loss = m.forward(x, y, b, t, true, opt.stepCount());
        m.zeroGradients();
        m.backward(1f);
        AdamW.clipGradientNorm(m, 1.0);
        opt.step(1e-2f);
        return loss;
    }

    @Test
    void resumingFromModelAndOptimizerFilesContinuesTheSameRun(@TempDir Path dir) throws Exception {
        GptConfig cfg = GptConfig.TINY.withTiedOutputHead(true);
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel straight = new GptModel(be, cfg);
            straight.initialize(1);
            AdamW opt = new AdamW(straight, AdamW.Settings.book());
            Random data = new Random(9);
            for (int i = 0; i < 3; i++) step(straight, opt, data);
            HfCheckpoint.save(straight, dir);
            OptimizerState.save(opt, straight, dir);
            Random resumeData = new Random(9);
            for (int i = 0; i < 3; i++) step(new GptModel(be, cfg), new AdamW(new GptModel(be, cfg), AdamW.Settings.book()), resumeData);
            double[] expected = new double[3];
            for (int i = 0; i < 3; i++) expected[i] = step(straight, opt, data);

            GptModel resumed = HfCheckpoint.load(be, dir);
            AdamW opt2 = new AdamW(resumed, AdamW.Settings.book());
            OptimizerState.restore(opt2, resumed, dir);
            assertEquals(3, opt2.stepCount());
            double[] got = new double[3];
            for (int i = 0; i < 3; i++) got[i] = step(resumed, opt2, resumeData);
            // Float tolerance, not bits: the Vector API's EXP/TANH and lane reductions may round differently
            // in interpreted and JIT-compiled code, so two runs can differ in the last bit.
            assertArrayEquals(expected, got, 1e-6, "the same losses after resuming");
            float[] a = new float[(int) straight.layout().totalSize()], b = new float[a.length];
            be.read(straight.parameters(), 0, a, 0, a.length);
            be.read(resumed.parameters(), 0, b, 0, b.length);
            // Absolute: Adam divides by sqrt(v), so a last-bit difference in a near-zero gradient moves a
            // weight by a visible fraction of the learning rate (1e-2 here).
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4f, "weight " + i + " after resuming");

            GptModel other = new GptModel(be, GptConfig.TINY);
            IOException e = assertThrows(IOException.class, () -> OptimizerState.restore(new AdamW(other, AdamW.Settings.book()), other, dir));
            assertEquals(true, e.getMessage().contains("values, the model"), e.getMessage());
        }
    }
}
