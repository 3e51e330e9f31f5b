package dev.llmsuite.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Adapting a base to a task's texts lowers its next-token loss on them; batches target each next token only. */
class LanguageModelAdaptationTest {

    @Test
    void batchesTargetTheNextTokenAndIgnoreThePadding() {
        var b = LanguageModelAdaptation.Batch.of(List.of(new int[] {5, 6, 7}, new int[] {8}, new int[] {1, 2, 3, 4, 9}), 4);
        assertEquals(4, b.length(), "padded to the longest, cut to the context");
        assertArrayEquals(new int[] {5, 6, 7, 0, 8, 0, 0, 0, 1, 2, 3, 4}, b.inputs());
        assertArrayEquals(new int[] {6, 7, -100, -100, -100, -100, -100, -100, 2, 3, 4, -100}, b.targets());
    }

    @Test
    void adaptationLowersTheLossOnTheTexts() {
        Random r = new Random(4);
        List<int[]> texts = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            int[] ids = new int[6 + r.nextInt(6)];
            ids[0] = 10 + r.nextInt(20);
            for (int j = 1; j < ids.length; j++) ids[j] = 10 + (ids[j - 1] - 10 + 3) % 20; // a pattern to learn
            texts.add(ids);
        }
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = new GptModel(be, GptConfig.TINY);
            m.initialize(1);
            var all = LanguageModelAdaptation.Batch.of(texts, GptConfig.TINY.contextLength());
            double before = m.forward(all.inputs(), all.targets(), all.size(), all.length(), false, 0);
            var report = LanguageModelAdaptation.adapt(m, texts, new LanguageModelAdaptation.Settings(8, 8, 3e-3, 0.0, 1), l -> {});
            double after = m.forward(all.inputs(), all.targets(), all.size(), all.length(), false, 0);
            assertEquals(64, report.steps());
            assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
            assertTrue(report.lastEpochLoss() < report.firstLoss());
        }
    }
}
