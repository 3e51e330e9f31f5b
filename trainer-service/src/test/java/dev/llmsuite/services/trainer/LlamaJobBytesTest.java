package dev.llmsuite.services.trainer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.model.llama.LlamaConfig;
import org.junit.jupiter.api.Test;

/**
 * A Llama fine-tuning job's memory is the product of fields each capped on its own (maxLength × vocabulary for the
 * logits, the weights times four when every weight trains): the estimate grows with each, so a long maxLength on a
 * large vocabulary is refused at the edge rather than by an OutOfMemoryError mid-job.
 */
class LlamaJobBytesTest {
    private static final LlamaConfig LLAMA_3_2_1B = new LlamaConfig(LlamaConfig.Architecture.LLAMA, 128_256, 2048, 8192, 16, 32, 8, 64,
            131_072, 1e-5f, 500_000, new LlamaConfig.RopeScaling(32, 1, 4, 8192), false, true);

    private static FinetuneSpec spec(String mode, int maxLength) {
        return new FinetuneSpec("j", "instruction", "base", "d", mode, 1, 8, 1e-4, 0.1, maxLength, 16, 16.0, false, false, 1L, 16,
                null, null, 0, 5e-4, false, false);
    }

    @Test
    void theEstimateCountsWeightsOptimizerAndLogits() {
        long lora1k = FinetuneJobs.llamaJobBytes(LLAMA_3_2_1B, spec("lora", 1024));
        long lora64k = FinetuneJobs.llamaJobBytes(LLAMA_3_2_1B, spec("lora", 65_536));
        long all1k = FinetuneJobs.llamaJobBytes(LLAMA_3_2_1B, spec("all", 1024));
        assertTrue(lora1k > 4L * LLAMA_3_2_1B.parameterCount(), "the weights at least: " + lora1k);
        assertTrue(lora64k > 4L * 65_536 * 128_256, "65,536 positions of 128,256 logits: " + lora64k);
        assertTrue(all1k > lora1k + 12L * LLAMA_3_2_1B.parameterCount() - 1, "gradients and two moments: " + all1k);
    }
}
