package dev.llmsuite.engine.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Embeddings;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What an embedding of a Llama / Qwen3 model pools: the final RMSNorm's rows, of which the (PyTorch-checked) logits are
 * the head's product, on the fp32 weights whatever decode steps serve; pooled to a unit vector.
 */
class LlamaHiddenStatesTest {

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void theLogitsAreTheHeadsProductOfTheHiddenStates(Architecture a) {
        LlamaConfig c = LlamaGeneratorTest.config(a, 64);
        try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaModel.initialized(be, c, 8)) {
            int[] ids = {5, 9, 1, 33, 60, 2, 17};
            float[] hidden = model.hiddenStates(ids), logits = model.forward(ids);
            float[] head = new float[c.vocabSize() * c.hidden()];
            be.read(model.head(), 0, head, 0, head.length);
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < c.vocabSize(); v++) {
                    double dot = 0;
                    for (int i = 0; i < c.hidden(); i++) dot += (double) hidden[t * c.hidden() + i] * head[v * c.hidden() + i];
                    assertEquals(logits[t * c.vocabSize() + v], dot, 1e-5 + 1e-4 * Math.abs(dot), "row " + t + ", token " + v);
                }
            }
            model.serve(ServingWeights.INT8);
            assertArrayEquals(hidden, model.hiddenStates(ids), "fp32 whatever decode steps read");
            assertArrayEquals(Arrays.copyOf(hidden, c.hidden()), model.hiddenStates(new int[] {5}), "one token: the first row (causal), fp32 too");

            float[] e = Embeddings.meanPooled(hidden, ids.length, c.hidden(), 10);
            double norm = 0;
            for (float x : e) norm += x * x;
            assertEquals(1.0, norm, 1e-5);
            assertThrows(IllegalArgumentException.class, () -> model.hiddenStates(new int[0]));
            assertThrows(IllegalArgumentException.class, () -> model.hiddenStates(new int[65]));
        }
    }
}
