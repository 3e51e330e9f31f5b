package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Packed documents: a document's outputs do not depend on the document packed before it. */
class PackedDocumentsTest {

    @Test
    void aDocumentNeverSeesTheOnePackedBeforeIt() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, GptConfig.TINY);
            GptModelGradientTest.initialize(m, 5);
            int t = 8;
            int[] starts = {0, 0, 0, 3, 3, 3, 3, 3}; // document A at 0-2, document B at 3-7
            int[] a = {5, 6, 7, 20, 21, 22, 23, 24}, changedA = {50, 60, 70, 20, 21, 22, 23, 24};
            m.forward(a, null, starts, 1, t, false, 0);
            float[] before = Arrays.copyOf(m.logits(), m.logits().length);
            m.forward(changedA, null, starts, 1, t, false, 0);
            float[] after = m.logits();
            int v = GptConfig.TINY.vocabSize();
            assertArrayEquals(Arrays.copyOfRange(before, 3 * v, t * v), Arrays.copyOfRange(after, 3 * v, t * v),
                    "document B's logits are the same whatever document A holds");
            assertFalse(Arrays.equals(Arrays.copyOfRange(before, 0, 3 * v), Arrays.copyOfRange(after, 0, 3 * v)));
            m.forward(changedA, null, null, 1, t, false, 0);
            assertFalse(Arrays.equals(Arrays.copyOfRange(before, 3 * v, t * v), Arrays.copyOfRange(m.logits(), 3 * v, t * v)),
                    "without the mask B attends to A (the check above can fail)");
        }
    }
}
