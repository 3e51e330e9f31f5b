package dev.llmsuite.engine.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Greedy generation through the KV cache equals the argmax of a whole forward recomputed after every token; a model
 * saved in the Hugging Face layout loads back with the same logits to the bit; generation stops where it should.
 */
class LlamaGeneratorTest {
    @TempDir Path dir;

    static LlamaConfig config(Architecture a, int context) {
        return new LlamaConfig(a, 300, 48, 96, 2, 4, 2, 16, context, 1e-5f, 10000,
                a == Architecture.LLAMA ? new LlamaConfig.RopeScaling(8, 1, 4, 32) : null, a == Architecture.QWEN3, a == Architecture.LLAMA);
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void cachedGreedyGenerationIsTheRecomputedArgmax(Architecture a) throws Exception {
        try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaModel.initialized(be, config(a, 64), 5)) {
            int[] prompt = {7, 100, 250, 3};
            int[] generated = new LlamaGenerator(model).generate(prompt, SamplingParams.greedy(12), null);
            assertEquals(12, generated.length);
            int[] seq = prompt.clone();
            for (int i = 0; i < 12; i++) {
                float[] all = model.forward(seq);
                int v = model.config().vocabSize();
                int next = TokenSampler.argmax(Arrays.copyOfRange(all, (seq.length - 1) * v, seq.length * v));
                assertEquals(next, generated[i], "token " + i);
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = next;
            }
            LlamaCheckpoint.save(model, dir.resolve(a.name()));
            try (LlamaModel back = LlamaCheckpoint.load(be, dir.resolve(a.name()))) {
                assertEquals(model.config(), back.config());
                assertArrayEquals(model.forward(prompt), back.forward(prompt));
            }
        }
    }

    /** Decode steps on 8- and 16-bit copies stay close to fp32's logits, panels equal them; prompts stay fp32. */
    @ParameterizedTest
    @EnumSource(value = ServingWeights.class, names = {"INT8", "BF16", "FP32_PANELS"})
    void servingWeightsChangeDecodeStepsOnly(ServingWeights weights) {
        try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaModel.initialized(be, config(Architecture.QWEN3, 64), 7)) {
            int[] prompt = {7, 100, 250, 3};
            float[] promptFp32, stepFp32;
            try (LlamaCache cache = new LlamaCache(be, model.config(), 8)) {
                promptFp32 = model.forward(prompt, cache, true);
                stepFp32 = model.forward(new int[] {42}, cache, false);
            }
            model.serve(weights);
            try (LlamaCache cache = new LlamaCache(be, model.config(), 8)) {
                assertArrayEquals(promptFp32, model.forward(prompt, cache, true), "a prompt runs in fp32");
                float[] step = model.forward(new int[] {42}, cache, false);
                double scale = 0, worst = 0;
                for (int i = 0; i < step.length; i++) {
                    scale = Math.max(scale, Math.abs(stepFp32[i]));
                    worst = Math.max(worst, Math.abs(step[i] - stepFp32[i]));
                }
                double tolerance = weights == ServingWeights.FP32_PANELS ? 1e-5 : weights == ServingWeights.BF16 ? 0.02 : 0.05;
                assertTrue(worst <= tolerance * scale, weights + ": max |difference| " + worst + " against max |logit| " + scale);
                if (weights != ServingWeights.FP32_PANELS) assertTrue(worst > 0, weights + " copies are not the fp32 weights");
            }
            model.serve(ServingWeights.FP32);
            try (LlamaCache cache = new LlamaCache(be, model.config(), 8)) {
                model.forward(prompt, cache, true);
                assertArrayEquals(stepFp32, model.forward(new int[] {42}, cache, false), "back on fp32");
            }
        }
    }

    @Test
    void generationStopsAtAStopTokenAndAFullContext() {
        try (CpuBackend be = new CpuBackend(1); LlamaModel model = LlamaModel.initialized(be, config(Architecture.QWEN3, 10), 6)) {
            int[] prompt = {1, 2, 3, 4, 5, 6};
            int[] free = new LlamaGenerator(model).generate(prompt, SamplingParams.greedy(20), null);
            assertEquals(5, free.length, "6 prompt tokens and 4 more fill a context of 10; the token after them is the last (as GPT-2's Generator)");
            int[] stopped = new LlamaGenerator(model).generate(prompt, new SamplingParams(20, 0, 0, 1, 0, Set.of(free[2])), null);
            assertArrayEquals(Arrays.copyOf(free, Arrays.stream(free).boxed().toList().indexOf(free[2])), stopped);
        }
    }
}
