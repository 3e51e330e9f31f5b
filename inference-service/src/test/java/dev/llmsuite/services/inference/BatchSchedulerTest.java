package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
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
            BatchScheduler scheduler = new BatchScheduler("m", Decoder.fp32(model), 4, () -> {});
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
}
