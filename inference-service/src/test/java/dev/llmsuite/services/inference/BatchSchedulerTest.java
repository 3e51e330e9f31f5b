package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatchSchedulerTest {

    @Test
    void anErrorFailsItsSequenceAndTheDecodeThreadGoesOn() throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel model = new GptModel(be, GptConfig.TINY);
            model.initialize(1);
            BatchScheduler scheduler = new BatchScheduler("m", Decoder.fp32(model), 4, 1 << 20, null, () -> {});
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
            BatchScheduler pooled = new BatchScheduler("pooled", Decoder.fp32(model), 4, 64 << 20, null, () -> {});
            BatchScheduler fresh = new BatchScheduler("fresh", Decoder.fp32(model), 4, 0, null, () -> {});
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
}
