package dev.llmsuite.engine.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Continuous batching's promise for Llama and Qwen3: a decode step of several sequences together, each at its own
 * position in its own cache, gives every sequence the logits that a step of that sequence alone gives, through steps
 * where the batch changes: to the bit on fp32, bf16 and panels; on int8 within 1e-5 of the largest logit (the 8-bit
 * product adds its blocks in another order for one row than for several, as GPT-2's does: GenerationTest).
 */
class LlamaBatchDecodeTest {

    @ParameterizedTest
    @CsvSource({"LLAMA,FP32", "QWEN3,FP32", "LLAMA,INT8", "QWEN3,BF16", "LLAMA,FP32_PANELS"})
    void aBatchedStepIsEachSequencesOwnStep(Architecture a, ServingWeights weights) {
        try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaModel.initialized(be, LlamaGeneratorTest.config(a, 64), 11)) {
            model.serve(weights);
            int[][] prompts = {{7, 100, 250, 3}, {9}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}};
            List<LlamaCache> batch = new ArrayList<>(), alone = new ArrayList<>();
            int[] next = new int[prompts.length];
            try {
                for (int i = 0; i < prompts.length; i++) {
                    batch.add(model.newCache(32));
                    alone.add(model.newCache(32));
                    float[] first = model.prefill(prompts[i], batch.get(i));
                    assertArrayEquals(first, model.prefill(prompts[i], alone.get(i)));
                    next[i] = 40 + i;
                }
                for (int step = 0; step < 4; step++) {
                    float[][] together = model.decodeBatch(next, batch);
                    for (int i = 0; i < prompts.length; i++) {
                        float[] own = model.decodeBatch(new int[] {next[i]}, List.of(alone.get(i)))[0];
                        assertSame(weights, own, together[i], a + " " + weights + ": sequence " + i + ", step " + step);
                        assertEquals(alone.get(i).length(), batch.get(i).length());
                        next[i] = (next[i] * 31 + step) % 300;
                    }
                }
                // the batch changes: the middle sequence leaves, the others go on at their own positions
                int[] two = {next[0], next[2]};
                float[][] together = model.decodeBatch(two, List.of(batch.get(0), batch.get(2)));
                assertSame(weights, model.decodeBatch(new int[] {next[0]}, List.of(alone.get(0)))[0], together[0], "after a leave");
                assertSame(weights, model.decodeBatch(new int[] {next[2]}, List.of(alone.get(2)))[0], together[1], "after a leave");
            } finally {
                batch.forEach(LlamaCache::close);
                alone.forEach(LlamaCache::close);
            }
        }
    }

    private static void assertSame(ServingWeights weights, float[] expected, float[] actual, String what) {
        if (weights != ServingWeights.INT8) {
            assertArrayEquals(expected, actual, what);
            return;
        }
        double scale = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        assertArrayEquals(expected, actual, (float) (1e-5 * scale), what);
    }

    @ParameterizedTest
    @CsvSource({"LLAMA"})
    void aFullCacheOrAMismatchedBatchIsRefused(Architecture a) {
        try (CpuBackend be = new CpuBackend(1); LlamaModel model = LlamaModel.initialized(be, LlamaGeneratorTest.config(a, 64), 3);
             LlamaCache small = model.newCache(2); LlamaCache other = model.newCache(8)) {
            model.prefill(new int[] {1, 2}, small);
            assertThrows(IllegalArgumentException.class, () -> model.decodeBatch(new int[] {3, 4}, List.of(small, other)));
            assertEquals(2, small.length(), "nothing was appended");
            assertEquals(0, other.length(), "nothing was appended to the other either");
            assertThrows(IllegalArgumentException.class, () -> model.decodeBatch(new int[] {3}, List.of(other, other)));
            assertThrows(IllegalArgumentException.class, () -> model.prefill(new int[] {1}, small), "prefill into a used cache");
        }
    }
}
