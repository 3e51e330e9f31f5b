package dev.llmsuite.finetune;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every mode learns a task a small model can learn, and counts what it trains. */
class ClassifierTrainingTest {

    static List<ClassifierTraining.Example> data(Random r, int n) {
        List<ClassifierTraining.Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            int[] ids = new int[4 + r.nextInt(8)];
            for (int j = 0; j < ids.length; j++) ids[j] = 10 + r.nextInt(40);
            if (label == 1) ids[r.nextInt(ids.length)] = 7; // spam says "7"
            out.add(new ClassifierTraining.Example(ids, label));
        }
        return out;
    }

    @Test
    void everyModeLearnsAndCountsItsTrainableParameters() {
        Random r = new Random(1);
        List<ClassifierTraining.Example> train = data(r, 96), val = data(r, 32), test = data(r, 32);
        for (ClassifierTraining.Mode mode : ClassifierTraining.Mode.values()) {
            try (CpuBackend be = new CpuBackend(2)) {
                GptModel m = new GptModel(be, GptConfig.TINY);
                m.initialize(2);
                var lora = new LoraAdapters.Settings(8, 16, EnumSet.allOf(LoraAdapters.Target.class), Set.of());
                boolean adapters = mode == ClassifierTraining.Mode.LORA;
                var report = ClassifierTraining.run(m, 2, train, val, test, new ClassifierTraining.Settings(mode, adapters ? 40 : 15, 8,
                        mode == ClassifierTraining.Mode.LAST_BLOCK ? 1e-2 : 3e-3, 0.0, 16, lora, 3, false), l -> {});
                assertTrue(report.testAccuracy() >= 0.9, mode + ": test accuracy " + report.testAccuracy());
                int[][] cm = report.confusion();
                assertEquals(32, cm[0][0] + cm[0][1] + cm[1][0] + cm[1][1]);
                long head = 2L * GptConfig.TINY.embeddingDim() + 2;
                if (mode == ClassifierTraining.Mode.LORA) {
                    assertEquals(new LoraAdapters(be, GptConfig.TINY, lora).parameterCount() + head, report.trainableParameters());
                }
                if (mode == ClassifierTraining.Mode.ALL) assertEquals(m.layout().totalSize() + head, report.trainableParameters());
            }
        }
    }

    @Test
    void keepBestEndsWithTheEpochThatWasBestOnValidation() {
        Random r = new Random(5);
        List<ClassifierTraining.Example> train = data(r, 64), val = data(r, 24), test = data(r, 24);
        for (ClassifierTraining.Mode mode : List.of(ClassifierTraining.Mode.LAST_BLOCK, ClassifierTraining.Mode.LORA)) {
            try (CpuBackend be = new CpuBackend(2)) {
                GptModel m = new GptModel(be, GptConfig.TINY);
                m.initialize(2);
                var lora = new LoraAdapters.Settings(8, 16, EnumSet.allOf(LoraAdapters.Target.class), Set.of());
                List<Double> perEpoch = new ArrayList<>();
                var report = ClassifierTraining.run(m, 2, train, val, test, new ClassifierTraining.Settings(mode, 8, 8, 3e-2, 0.0, 16,
                        lora, 3, true), line -> {
                    var v = Pattern.compile("validation accuracy ([0-9.]+)").matcher(line);
                    if (v.find()) perEpoch.add(Double.parseDouble(v.group(1)));
                });
                assertEquals(8, perEpoch.size());
                int best = 0;
                for (int e = 1; e < perEpoch.size(); e++) if (perEpoch.get(e) > perEpoch.get(best) + 1e-9) best = e;
                assertEquals(best + 1, report.epoch(), mode + ": validation by epoch " + perEpoch);
                assertEquals(perEpoch.get(best), report.validationAccuracy(), 1e-4, mode + ": the kept state is that epoch's");
            }
        }
    }
}
