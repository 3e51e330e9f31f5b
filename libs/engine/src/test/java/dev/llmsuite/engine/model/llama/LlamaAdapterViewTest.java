package dev.llmsuite.engine.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * LoRA adapters served unmerged on a view of shared weights (what inference-service's {@code BASE+ADAPTER} runs): the
 * view's logits are the merged model's (W + s·B·A) within float rounding, through prompts and decode steps on the
 * serving weights too; the base and its weights stay untouched; closing the view frees none of them.
 */
class LlamaAdapterViewTest {

    private static LlamaLora trainedLooking(CpuBackend be, LlamaConfig c, long seed) {
        LlamaLora lora = new LlamaLora(be, c, new LlamaLora.Settings(4, 8, EnumSet.allOf(LlamaLora.Target.class)), seed);
        Random r = new Random(seed);
        float[] p = new float[Math.toIntExact(lora.parameters().size())];
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.05); // B non-zero: the adapter moves the logits
        be.write(lora.parameters(), 0, p, 0, p.length);
        return lora;
    }

    private static float scale(float[] x) {
        float m = 0;
        for (float v : x) m = Math.max(m, Math.abs(v));
        return m;
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void aViewWithAdaptersIsTheMergedModel(Architecture a) {
        LlamaConfig c = LlamaGeneratorTest.config(a, 64);
        int[] ids = {5, 9, 1, 33, 60, 2, 17, 250};
        try (CpuBackend be = new CpuBackend(2); LlamaModel base = LlamaModel.initialized(be, c, 3); LlamaModel merged = LlamaModel.initialized(be, c, 3)) {
            float[] before = base.forward(ids);
            LlamaLora lora = trainedLooking(be, c, 7);
            lora.mergeInto(merged);
            float[] want = merged.forward(ids);
            try (LlamaModel view = base.sharingWeights()) {
                view.attach(lora);
                float[] got = view.forward(ids);
                assertArrayEquals(want, got, 1e-4f * scale(want), a + ": the view is the merged model");
                double moved = 0;
                for (int i = 0; i < got.length; i++) moved = Math.max(moved, Math.abs(got[i] - before[i]));
                assertTrue(moved > 1e-2, "the adapters move the logits: " + moved);
            }
            assertArrayEquals(before, base.forward(ids), "the base is untouched and its weights still there");
        }
    }

    /** On 8-bit decode copies: the view's decode steps follow the merged model's (on its own 8-bit copies) closely. */
    @ParameterizedTest
    @EnumSource(value = ServingWeights.class, names = {"FP32_PANELS", "INT8"})
    void decodeStepsOnServingWeightsCarryTheAdapters(ServingWeights weights) {
        LlamaConfig c = LlamaGeneratorTest.config(Architecture.QWEN3, 64);
        int[] prompt = {5, 9, 1, 33};
        try (CpuBackend be = new CpuBackend(2); LlamaModel base = LlamaModel.initialized(be, c, 3); LlamaModel merged = LlamaModel.initialized(be, c, 3)) {
            LlamaLora lora = trainedLooking(be, c, 9);
            lora.mergeInto(merged);
            base.serve(weights);
            merged.serve(weights);
            try (LlamaModel view = base.sharingWeights(); LlamaCache vc = view.newCache(16); LlamaCache mc = merged.newCache(16)) {
                view.attach(lora);
                assertThrows(IllegalStateException.class, () -> view.serve(ServingWeights.FP32), "a view serves its base's weights");
                float[] v = view.prefill(prompt, vc), m = merged.prefill(prompt, mc);
                assertArrayEquals(m, v, 1e-4f * scale(m), "prompt");
                for (int step = 0; step < 3; step++) {
                    int next = 40 + step;
                    v = view.decodeBatch(new int[] {next}, List.of(vc))[0];
                    m = merged.decodeBatch(new int[] {next}, List.of(mc))[0];
                    // panels: fp32 products, so within rounding; int8: two different 8-bit roundings of nearly equal weights
                    float tolerance = weights == ServingWeights.INT8 ? 0.05f : 1e-4f;
                    assertArrayEquals(m, v, tolerance * scale(m), weights + ": step " + step);
                }
                assertEquals(vc.length(), mc.length());
            }
        }
    }
}
