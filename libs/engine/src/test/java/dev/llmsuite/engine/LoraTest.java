package dev.llmsuite.engine;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import dev.llmsuite.engine.model.ParameterLayout;
import dev.llmsuite.engine.train.AdamW;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LoRA: a no-op at first, merged equals unmerged, gradients by the chain rule from the base weights' (themselves checked by finite differences). */
class LoraTest {
    static final GptConfig CFG = GptModelGradientTest.ODD;
    static final LoraAdapters.Settings SETTINGS = new LoraAdapters.Settings(3, 6, EnumSet.allOf(LoraAdapters.Target.class), Set.of());

    static void randomize(LoraAdapters lora, long seed) {
        Random r = new Random(seed);
        float[] v = new float[(int) lora.parameterCount()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 0.2);
        lora.backend().write(lora.parameters(), 0, v, 0, v.length);
    }

    @Test
    void aNewAdapterChangesNothingAndAMergedOneGivesTheSameOutputs() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, CFG);
            GptModelGradientTest.initialize(m, 11);
            int[] ids = GptModelGradientTest.randomIds(new Random(1), 2 * 9, CFG.vocabSize());
            m.forward(ids, null, 2, 9, false, 0);
            float[] plain = m.logits();
            LoraAdapters lora = new LoraAdapters(be, CFG, SETTINGS);
            lora.initialize(5);
            m.attach(lora);
            m.forward(ids, null, 2, 9, false, 0);
            assertArrayEquals(plain, m.logits(), "B = 0: the adapters add nothing");

            randomize(lora, 6);
            m.forward(ids, null, 2, 9, false, 0);
            float[] adapted = m.logits();
            double moved = 0;
            for (int i = 0; i < plain.length; i++) moved = Math.max(moved, Math.abs(adapted[i] - plain[i]));
            assertTrue(moved > 0.1, "trained adapters change the outputs: " + moved);
            m.attach(null);
            lora.mergeInto(m);
            m.forward(ids, null, 2, 9, false, 0);
            float[] merged = m.logits();
            for (int i = 0; i < merged.length; i++) assertEquals(adapted[i], merged[i], 1e-4 * (1 + Math.abs(adapted[i])), "logit " + i);
        }
    }

    @Test
    void viewsSharingOneBaseDecodeWithTheirOwnAdaptersAsTheFullForwardDoes() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel base = new GptModel(be, CFG);
            GptModelGradientTest.initialize(base, 11);
            int[] prompt = {3, 1, 4, 1, 5};
            GptModel[] views = {base.sharingWeights(), base.sharingWeights()};
            for (int k = 0; k < views.length; k++) {
                LoraAdapters lora = new LoraAdapters(be, CFG, SETTINGS);
                randomize(lora, 20 + k);
                views[k].attach(lora);
            }
            float[][] next = new float[3][];
            GptModel[] all = {base, views[0], views[1]};
            for (int k = 0; k < all.length; k++) {
                // prefill 4 tokens, decode the 5th with the KV cache ...
                try (var cache = new KvCache(be, CFG); var decoder = Decoder.fp32(all[k])) {
                    decoder.prefill(Arrays.copyOf(prompt, 4), cache);
                    next[k] = decoder.decode(prompt[4], cache);
                }
                // ... equals the full forward over all 5
                all[k].forward(prompt, null, 1, 5, false, 0);
                float[] full = all[k].logitsAt(0, 4);
                for (int i = 0; i < full.length; i++) assertEquals(full[i], next[k][i], 1e-4 * (1 + Math.abs(full[i])), "model " + k + " logit " + i);
            }
            double apart = 0;
            for (int i = 0; i < next[0].length; i++) apart = Math.max(apart, Math.abs(next[1][i] - next[2][i]) + Math.abs(next[0][i] - next[1][i]));
            assertTrue(apart > 0.1, "each view answers with its own adapter: " + apart);
            views[0].close(); // a view leaves the shared weights alone
            base.forward(prompt, null, 1, 5, false, 0);
            assertArrayEquals(next[0], base.logitsAt(0, 4), 1e-4f);
        }
    }

    @Test
    void adapterGradientsAreTheChainRuleOfTheMergedWeightsGradient() {
        try (CpuBackend be = new CpuBackend(2)) {
            Random r = new Random(2);
            int[] ids = GptModelGradientTest.randomIds(r, 2 * 9, CFG.vocabSize());
            int[] targets = GptModelGradientTest.randomIds(r, 2 * 9, CFG.vocabSize());
            GptModel adapted = new GptModel(be, CFG);
            GptModelGradientTest.initialize(adapted, 13);
            LoraAdapters lora = new LoraAdapters(be, CFG, SETTINGS);
            randomize(lora, 7);
            adapted.attach(lora);
            adapted.setTrainable(name -> false); // only the adapters train
            double lossAdapted = adapted.forward(ids, targets, 2, 9, false, 0);
            adapted.zeroGradients();
            be.zero(lora.gradients());
            adapted.backward(1f);

            GptModel merged = new GptModel(be, CFG);
            GptModelGradientTest.initialize(merged, 13);
            lora.mergeInto(merged);
            double lossMerged = merged.forward(ids, targets, 2, 9, false, 0);
            assertEquals(lossMerged, lossAdapted, 1e-5 * lossMerged);
            merged.zeroGradients();
            merged.backward(1f);

            int c = CFG.embeddingDim(), rank = SETTINGS.rank();
            double s = SETTINGS.alpha() / rank, worst = 0;
            for (int l = 0; l < CFG.layers(); l++) {
                for (LoraAdapters.Target t : LoraAdapters.Target.values()) {
                    String w = "h." + l + "." + t.layer;
                    ParameterLayout.Spec ws = merged.layout().get(w + ".weight");
                    int oc = ws.shape()[0], in = ws.shape()[1];
                    float[] dW = read(be, merged.gradients(), ws.offset(), oc * in);
                    float[] a = read(be, lora.parameters(), lora.layout().get(w + ".lora_A.weight").offset(), rank * in);
                    float[] b = read(be, lora.parameters(), lora.layout().get(w + ".lora_B.weight").offset(), oc * rank);
                    float[] dA = read(be, lora.gradients(), lora.layout().get(w + ".lora_A.weight").offset(), rank * in);
                    float[] dB = read(be, lora.gradients(), lora.layout().get(w + ".lora_B.weight").offset(), oc * rank);
                    for (int o = 0; o < oc; o++) {
                        for (int k = 0; k < rank; k++) {
                            double want = 0;
                            for (int i = 0; i < in; i++) want += s * dW[o * in + i] * a[k * in + i];
                            worst = Math.max(worst, Math.abs(dB[o * rank + k] - want));
                            assertEquals(want, dB[o * rank + k], 2e-4 + 2e-3 * Math.abs(want), w + " dB[" + o + "," + k + "]");
                        }
                    }
                    for (int k = 0; k < rank; k++) {
                        for (int i = 0; i < in; i++) {
                            double want = 0;
                            for (int o = 0; o < oc; o++) want += s * b[o * rank + k] * dW[o * in + i];
                            assertEquals(want, dA[k * in + i], 2e-4 + 2e-3 * Math.abs(want), w + " dA[" + k + "," + i + "]");
                        }
                    }
                }
            }
            System.out.printf("LoRA gradients: worst absolute error %.2e%n", worst);
        }
    }

    @Test
    void trainingTheAdaptersLowersTheLossAndLeavesTheBaseUntouched() {
        GptConfig cfg = GptConfig.TINY;
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, cfg);
            m.initialize(3);
            float[] base = read(be, m.parameters(), 0, (int) m.layout().totalSize());
            LoraAdapters lora = new LoraAdapters(be, cfg, new LoraAdapters.Settings(4, 8, EnumSet.allOf(LoraAdapters.Target.class), Set.of()));
            lora.initialize(4);
            m.attach(lora);
            m.setTrainable(name -> false);
            AdamW opt = new AdamW(be, lora.parameters(), lora.gradients(), lora.layout().specs(), AdamW.Settings.book());
            Random r = new Random(5);
            int[] ids = GptModelGradientTest.randomIds(r, 2 * 16, cfg.vocabSize()), targets = GptModelGradientTest.randomIds(r, 2 * 16, cfg.vocabSize());
            double first = 0, last = 0;
            for (int step = 0; step < 60; step++) {
                double loss = m.forward(ids, targets, 2, 16, true, step);
                if (step == 0) first = loss;
                last = loss;
                m.zeroGradients();
                be.zero(lora.gradients());
                m.backward(1f);
                opt.clipGradientNorm(1.0);
                opt.step(1e-2f);
            }
            assertTrue(last < first - 0.5, "the adapters learn the batch: " + first + " -> " + last);
            assertArrayEquals(base, read(be, m.parameters(), 0, base.length), "the base weights are frozen");
            assertEquals(lora.layout().totalSize(), opt.specs().stream().mapToLong(ParameterLayout.Spec::size).sum());
        }
    }

    @Test
    void gpt2SmallHasAboutFiftyTimesFewerTrainableValuesWithTheBooksAdapters() {
        try (CpuBackend be = new CpuBackend(1)) {
            GptConfig cfg = GptConfig.preset("gpt2-124m").withTiedOutputHead(true);
            LoraAdapters lora = new LoraAdapters(be, cfg, LoraAdapters.Settings.book());
            long base = ParameterLayout.of(cfg).totalSize();
            assertEquals(2_359_296, lora.parameterCount(), "16 · (in + out) for each of 4 layers in 12 blocks");
            assertTrue(base / lora.parameterCount() >= 50, base + " / " + lora.parameterCount());
        }
    }

    static float[] read(CpuBackend be, Tensor t, long offset, int n) {
        float[] out = new float[n];
        be.read(t, offset, out, 0, n);
        return out;
    }
}
