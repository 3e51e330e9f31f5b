package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaGenerator;
import dev.llmsuite.engine.model.llama.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatchSchedulerTest {

    @Test
    void anErrorFailsItsSequenceAndTheDecodeThreadGoesOn() throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel model = new GptModel(be, GptConfig.TINY);
            model.initialize(1);
            var scheduler = new BatchScheduler<>("m", Decoder.fp32(model), 4, 1 << 20, null, () -> {});
            SamplingParams params = new SamplingParams(8, 0, 0, 1.0, 1, Set.of());
            var failing = scheduler.submit(new int[] {1, 2, 3}, params, (token, logits) -> {
                throw new OutOfMemoryError("a test's stand-in for a real one");
            });
            var e = assertThrows(ExecutionException.class, () -> failing.get(10, TimeUnit.SECONDS));
            assertInstanceOf(OutOfMemoryError.class, e.getCause());
            // the same scheduler still decodes: a later sequence runs to its length
            var later = scheduler.submit(new int[] {1, 2, 3}, params, (token, logits) -> true);
            assertEquals(BatchScheduler.Ending.MAX_TOKENS, later.get(10, TimeUnit.SECONDS));
            scheduler.close();
        }
    }

    @Test
    void aSequenceOnAReusedCacheMakesWhatItMadeOnANewOne() throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel model = new GptModel(be, GptConfig.TINY);
            model.initialize(3);
            var pooled = new BatchScheduler<>("pooled", Decoder.fp32(model), 4, 64 << 20, null, () -> {});
            var fresh = new BatchScheduler<>("fresh", Decoder.fp32(model), 4, 0, null, () -> {});
            SamplingParams params = new SamplingParams(10, 0, 0, 1.0, 1, Set.of());
            List<List<Integer>> a = new ArrayList<>(), b = new ArrayList<>();
            for (int[] prompt : new int[][] {{5, 6, 7, 8, 9, 10}, {1, 2}, {3, 1, 4, 1, 5}, {1, 2}}) {
                List<Integer> x = new ArrayList<>(), y = new ArrayList<>();
                pooled.submit(prompt, params, (token, logits) -> x.add(token)).get(10, TimeUnit.SECONDS);
                fresh.submit(prompt, params, (token, logits) -> y.add(token)).get(10, TimeUnit.SECONDS);
                a.add(x);
                b.add(y);
            }
            assertEquals(b, a, "the second, third and fourth sequence ran on the first one's cache");
            pooled.close();
            fresh.close();
        }
    }

    /**
     * A Llama 3 and a Qwen3 model batched continuously: sequences that join and leave at different steps each make
     * exactly the tokens the library's LlamaGenerator makes for them alone.
     */
    @Test
    void llamaSequencesBatchedTogetherMakeWhatEachMakesAlone() throws Exception {
        for (LlamaConfig.Architecture a : LlamaConfig.Architecture.values()) {
            LlamaConfig c = new LlamaConfig(a, 300, 48, 96, 2, 4, 2, 16, 64, 1e-5f, 10000, null, a == LlamaConfig.Architecture.QWEN3, true);
            try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaModel.initialized(be, c, 9)) {
                model.serve(ServingWeights.BF16);
                var scheduler = new BatchScheduler<>("llama", model, 4, 16 << 20, null, () -> {});
                int[][] prompts = {{7, 100, 250, 3}, {9}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {42, 42}};
                int[] lengths = {12, 3, 20, 7};
                List<List<Integer>> made = new ArrayList<>();
                List<CompletableFuture<BatchScheduler.Ending>> running = new ArrayList<>();
                for (int i = 0; i < prompts.length; i++) {
                    List<Integer> tokens = new ArrayList<>();
                    made.add(tokens);
                    running.add(scheduler.submit(prompts[i], SamplingParams.greedy(lengths[i]), (token, logits) -> tokens.add(token)));
                }
                for (var r : running) r.get(30, TimeUnit.SECONDS);
                scheduler.close();
                for (int i = 0; i < prompts.length; i++) {
                    int[] alone = new LlamaGenerator(model).generate(prompts[i], SamplingParams.greedy(lengths[i]), null);
                    assertEquals(Arrays.stream(alone).boxed().toList(), made.get(i), a + ": sequence " + i);
                }
            }
        }
    }
}
