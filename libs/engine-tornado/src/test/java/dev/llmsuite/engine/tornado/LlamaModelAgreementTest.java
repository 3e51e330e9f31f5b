package dev.llmsuite.engine.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.model.llama.LlamaCache;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import dev.llmsuite.engine.model.llama.LlamaGenerator;
import dev.llmsuite.engine.model.llama.LlamaLora;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.engine.model.llama.LlamaTrainingStep;
import dev.llmsuite.engine.train.AdamW;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A Llama 3-shaped model (scaled rotary frequencies, grouped-query attention) and a Qwen3-shaped one (QK-norm) on the
 * device: a prompt's logits, greedy generation, a batched decode step and three LoRA training steps give the CPU
 * backend's logits, tokens and losses.
 */
class LlamaModelAgreementTest {

    static LlamaConfig config(Architecture a) {
        return new LlamaConfig(a, 300, 48, 96, 2, 4, 2, 16, 64, 1e-5f, 10000,
                a == Architecture.LLAMA ? new LlamaConfig.RopeScaling(8, 1, 4, 32) : null, a == Architecture.QWEN3, a == Architecture.LLAMA);
    }

    /** A prompt's logits, greedy tokens, one batched step of two sequences, and the losses of three LoRA steps. */
    private static Object[] run(ComputeBackend be, Architecture a) {
        try (LlamaModel m = LlamaModel.initialized(be, config(a), 13)) {
            int[] prompt = {7, 100, 250, 3, 42, 9};
            float[] logits = m.forward(prompt);
            int[] tokens = new LlamaGenerator(m).generate(prompt, SamplingParams.greedy(10), null);
            float[][] batched;
            try (LlamaCache x = m.newCache(16); LlamaCache y = m.newCache(16)) {
                m.prefill(prompt, x);
                m.prefill(new int[] {1, 2}, y);
                batched = m.decodeBatch(new int[] {5, 6}, List.of(x, y));
            }
            double[] losses = new double[3];
            try (LlamaLora lora = new LlamaLora(be, m.config(), new LlamaLora.Settings(4, 8, EnumSet.allOf(LlamaLora.Target.class)), 5);
                 LlamaTrainingStep step = new LlamaTrainingStep(m, lora, 16)) {
                AdamW opt = new AdamW(be, lora.parameters(), lora.gradients(), lora.specs(), AdamW.Settings.book());
                Random r = new Random(3);
                for (int s = 0; s < losses.length; s++) {
                    int[] ids = new int[16], targets = new int[16];
                    for (int i = 0; i < 16; i++) {
                        ids[i] = r.nextInt(300);
                        targets[i] = r.nextInt(300);
                    }
                    losses[s] = step.lossAndGradients(ids, targets);
                    opt.clipGradientNorm(1.0);
                    opt.step(1e-2f);
                }
            }
            return new Object[] {logits, tokens, batched, losses};
        }
    }

    private static void assertClose(float[] want, float[] got, String what) {
        float scale = 0;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        assertArrayEquals(want, got, 1e-4f * scale, what);
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void forwardDecodeAndLoraTrainingMatchTheCpu(Architecture a) {
        ComputeBackend gpu = TornadoDevice.backend();
        Object[] want;
        try (CpuBackend cpu = new CpuBackend(2)) {
            want = run(cpu, a);
        }
        Object[] got = run(gpu, a);
        assertClose((float[]) want[0], (float[]) got[0], a + ": prompt logits");
        assertArrayEquals((int[]) want[1], (int[]) got[1], a + ": greedy tokens");
        float[][] wb = (float[][]) want[2], gb = (float[][]) got[2];
        for (int i = 0; i < wb.length; i++) assertClose(wb[i], gb[i], a + ": batched decode, sequence " + i);
        double[] wl = (double[]) want[3], gl = (double[]) got[3];
        System.out.println(a + " LoRA losses, cpu " + Arrays.toString(wl) + " tornado " + Arrays.toString(gl));
        for (int i = 0; i < wl.length; i++) assertEquals(wl[i], gl[i], 1e-4 * Math.abs(wl[i]), a + ": loss at step " + i);
    }
}
