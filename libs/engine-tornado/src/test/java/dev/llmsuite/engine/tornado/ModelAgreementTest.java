package dev.llmsuite.engine.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A whole training step and a whole decode on the device: the tiny model gives the CPU backend's losses and tokens. */
class ModelAgreementTest {

    /** Losses of three AdamW steps (dropout on, gradient clipping on) of the tiny model, then greedy tokens. */
    private static Object[] run(ComputeBackend be) {
        GptModel m = new GptModel(be, GptConfig.TINY.withDropRate(0.1));
        m.initialize(11);
        AdamW opt = new AdamW(m, AdamW.Settings.book());
        Random r = new Random(3);
        int b = 4, t = 16;
        double[] losses = new double[3];
        for (int step = 0; step < 3; step++) {
            int[] x = new int[b * t], y = new int[b * t];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextInt(97);
                y[i] = r.nextInt(97);
            }
            losses[step] = m.forward(x, y, b, t, true, step);
            m.zeroGradients();
            m.backward(1f);
            AdamW.clipGradientNorm(m, 1.0);
            opt.step(1e-2f);
        }
        int[] tokens = new Generator(m).generate(new int[] {5, 17, 42}, SamplingParams.greedy(12), null);
        return new Object[] {losses, tokens};
    }

    /** With each product kernel in turn (the device's own choice included), so PoCL runs the GPU's tiled path too. */
    @Test
    void threeTrainingStepsAndGreedyGenerationMatchTheCpu() {
        TornadoBackend gpu = (TornadoBackend) TornadoDevice.backend();
        Object[] want;
        try (CpuBackend cpu = new CpuBackend(2)) {
            want = run(cpu);
        }
        boolean deviceDefault = gpu.tiledProducts();
        try {
            for (boolean tiled : new boolean[] {false, true}) {
                gpu.useTiledProducts(tiled);
                Object[] got = run(gpu);
                double[] wl = (double[]) want[0], gl = (double[]) got[0];
                String kind = tiled ? "tiled products" : "register-tile products";
                System.out.println("tiny model losses, cpu " + Arrays.toString(wl) + " tornado (" + kind + ") " + Arrays.toString(gl));
                for (int i = 0; i < wl.length; i++) assertEquals(wl[i], gl[i], 1e-4 * Math.abs(wl[i]), kind + ": loss at step " + i);
                assertArrayEquals((int[]) want[1], (int[]) got[1], kind + ": greedy tokens");
            }
        } finally {
            gpu.useTiledProducts(deviceDefault);
        }
    }
}
