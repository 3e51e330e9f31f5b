package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Embeddings;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Mean-pooled, unit-length embeddings: checked against the hidden states computed on their own, in double. */
class EmbeddingsTest {

    @Test
    void theMeanOfTheFinalHiddenStatesAtUnitLength() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, GptConfig.TINY);
            GptModelGradientTest.initialize(m, 5);
            int[] ids = {3, 14, 15, 92, 65};
            float[] e = Embeddings.of(m, ids, GptConfig.TINY.embeddingDim());

            int c = GptConfig.TINY.embeddingDim();
            double[] mean = new double[c];
            for (int p = 0; p < ids.length; p++) {
                // the prefix up to p gives the same hidden state at p (causal), computed alone
                int[] prefix = Arrays.copyOf(ids, p + 1);
                m.forwardHidden(prefix, null, 1, p + 1, false, 0);
                float[] h = new float[(p + 1) * c];
                be.read(m.hidden(), 0, h, 0, h.length);
                for (int i = 0; i < c; i++) mean[i] += h[p * c + i] / ids.length;
            }
            double norm = 0;
            for (double v : mean) norm += v * v;
            for (int i = 0; i < c; i++) assertEquals(mean[i] / Math.sqrt(norm), e[i], 1e-5, "value " + i);

            double length = 0;
            for (float v : e) length += v * v;
            assertEquals(1.0, length, 1e-5, "unit length");
            assertArrayEquals(e, Embeddings.of(m, ids, c), "the same text, the same vector");

            float[] cut = Embeddings.of(m, ids, 8);
            double cutLength = 0, cosine = 0;
            for (int i = 0; i < 8; i++) {
                cutLength += cut[i] * cut[i];
                cosine += cut[i] * e[i];
            }
            assertEquals(1.0, cutLength, 1e-5, "cut to 8 values and scaled to length 1 again");
            assertTrue(cosine > 0, "its first values point the same way");
            assertThrows(IllegalArgumentException.class, () -> Embeddings.of(m, new int[0], c));
            assertThrows(IllegalArgumentException.class, () -> Embeddings.of(m, new int[GptConfig.TINY.contextLength() + 1], c));
            assertThrows(IllegalArgumentException.class, () -> Embeddings.of(m, ids, c + 1));
        }
    }
}
