package dev.llmsuite.engine.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.records.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Llama and Qwen3 fixtures' loss against fixed targets and every weight's gradient, against PyTorch's autograd on
 * the reference model (fixtures/make_llama_fixture.py, gradients.json): the loss to 1e-5 relative, each gradient's
 * sampled values to 1e-4 of its largest, and its sum and sum of squares. Twice in a row, to show the step starts clean.
 */
class LlamaTrainingTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void lossAndEveryGradientArePyTorchs(String name) throws Exception {
        Map<?, ?> expected = (Map<?, ?>) ((Map<?, ?>) Json.parse(Files.readString(
                LlamaFixtureTest.fixtures().resolve("gradients.json"), StandardCharsets.UTF_8))).get(name);
        int[] ids = ints((List<?>) expected.get("ids")), targets = ints((List<?>) expected.get("targets"));
        Map<?, ?> gradients = (Map<?, ?>) expected.get("gradients");
        try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaCheckpoint.load(be, LlamaFixtureTest.fixtures().resolve(name));
             LlamaTrainingStep step = new LlamaTrainingStep(model, ids.length)) {
            for (int round = 0; round < 2; round++) {
                double loss = step.lossAndGradients(ids, targets);
                double want = ((Number) expected.get("loss")).doubleValue();
                assertEquals(want, loss, 1e-5 * Math.abs(want), name + " loss");
                LlamaTrainingStep.Gradients g = step.gradients();
                Map<String, Tensor> byName = LlamaCheckpoint.byName(model.config(), g.embed(), g.layers(), g.finalNorm(), g.head());
                assertEquals(gradients.keySet(), byName.keySet(), "a gradient for every weight");
                for (var e : byName.entrySet()) check(be, name + " " + e.getKey(), e.getValue(), (Map<?, ?>) gradients.get(e.getKey()));
            }
        }
    }

    private static void check(CpuBackend be, String what, Tensor gradient, Map<?, ?> want) {
        List<?> at = (List<?>) want.get("at"), values = (List<?>) want.get("values");
        double sumsq = ((Number) want.get("sumsq")).doubleValue(), scale = Math.sqrt(sumsq), sum = ((Number) want.get("sum")).doubleValue();
        long size = gradient.size();
        float[] g = new float[(int) size];
        be.read(gradient, 0, g, 0, g.length);
        double largest = 0, ourSum = 0, ourSumsq = 0;
        for (int i = 0; i < at.size(); i++) largest = Math.max(largest, Math.abs(((Number) values.get(i)).doubleValue()));
        for (float v : g) {
            ourSum += v;
            ourSumsq += (double) v * v;
        }
        for (int i = 0; i < at.size(); i++) {
            int index = ((Long) at.get(i)).intValue();
            double w = ((Number) values.get(i)).doubleValue();
            assertEquals(w, g[index], 1e-4 * Math.max(largest, 1e-6), what + "[" + index + "]");
        }
        assertEquals(sumsq, ourSumsq, 1e-4 * sumsq + 1e-12, what + " sum of squares");
        assertTrue(Math.abs(sum - ourSum) <= 1e-4 * Math.sqrt(g.length) * scale + 1e-9, what + " sum " + ourSum + ", PyTorch " + sum);
    }

    private static int[] ints(List<?> list) {
        return list.stream().mapToInt(o -> ((Long) o).intValue()).toArray();
    }
}
