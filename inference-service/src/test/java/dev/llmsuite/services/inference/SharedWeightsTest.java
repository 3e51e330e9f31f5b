package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import org.junit.jupiter.api.Test;

class SharedWeightsTest {

    @Test
    void onceReleasedNoJoinSucceedsNotEvenASecondOne() {
        try (CpuBackend be = new CpuBackend(1)) {
            SharedWeights weights = new SharedWeights(Decoder.fp32(new GptModel(be, GptConfig.TINY)));
            weights.join();  // an adapter view
            weights.leave();
            weights.leave(); // the owner's scheduler drained too: the weights go back
            assertThrows(IllegalStateException.class, weights::join);
            assertThrows(IllegalStateException.class, weights::join, "the failed join must not have counted itself");
        }
    }
}
