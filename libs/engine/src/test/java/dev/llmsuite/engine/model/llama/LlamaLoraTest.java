package dev.llmsuite.engine.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.ParameterLayout;
import dev.llmsuite.engine.train.AdamW;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LoRA on Llama and Qwen3 (the PyTorch fixtures' models). The adapters' gradients follow from the full gradient of the
 * merged model, which LlamaTrainingTest checks against PyTorch's autograd: with W' = W + s·B·A and G = ∂L/∂W',
 * ∂L/∂B = s·G·Aᵀ and ∂L/∂A = s·Bᵀ·G; and the loss is the merged model's. Then adapters train (the base stays as it
 * was), a new adapter changes nothing, and the files are PEFT's.
 */
class LlamaLoraTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void adapterGradientsAreTheMergedModelsChainedThroughBAndA(String name) throws Exception {
        int[] ids = {5, 9, 1, 33, 60, 2, 17, 44, 8, 8, 30, 12}, targets = {9, 1, 33, 60, 2, 17, 44, 8, 8, 30, 12, 3};
        try (CpuBackend be = new CpuBackend(2);
             LlamaModel base = LlamaCheckpoint.load(be, LlamaFixtureTest.fixtures().resolve(name));
             LlamaModel merged = LlamaCheckpoint.load(be, LlamaFixtureTest.fixtures().resolve(name));
             LlamaLora lora = new LlamaLora(be, base.config(), new LlamaLora.Settings(4, 8, EnumSet.allOf(LlamaLora.Target.class)), 3)) {
            randomize(lora, "lora_B", 0.2f, 7); // a trained-looking B, so that dA is not zero
            double loraLoss, fullLoss;
            try (LlamaTrainingStep step = new LlamaTrainingStep(base, lora, ids.length)) {
                loraLoss = step.lossAndGradients(ids, targets);
            }
            lora.mergeInto(merged);
            LlamaConfig c = base.config();
            try (LlamaTrainingStep full = new LlamaTrainingStep(merged, ids.length)) {
                fullLoss = full.lossAndGradients(ids, targets);
                assertEquals(fullLoss, loraLoss, 1e-5 * Math.abs(fullLoss), "the loss is the merged model's");
                float s = 8f / 4;
                for (int l = 0; l < c.layers(); l++) {
                    for (LlamaLora.Target t : LlamaLora.Target.values()) {
                        int r = 4, in = t.in(c), out = t.out(c);
                        float[] g = read(be, t.weightIn(full.gradients().layers().get(l)), (long) out * in);
                        float[] a = read(be, slice(lora, LlamaLora.name(l, t, "A"), false), (long) r * in);
                        float[] b = read(be, slice(lora, LlamaLora.name(l, t, "B"), false), (long) out * r);
                        float[] dA = read(be, slice(lora, LlamaLora.name(l, t, "A"), true), (long) r * in);
                        float[] dB = read(be, slice(lora, LlamaLora.name(l, t, "B"), true), (long) out * r);
                        double[] expectA = new double[r * in], expectB = new double[out * r];
                        for (int o = 0; o < out; o++) {
                            for (int k = 0; k < r; k++) {
                                for (int i = 0; i < in; i++) {
                                    expectB[o * r + k] += s * (double) g[o * in + i] * a[k * in + i];
                                    expectA[k * in + i] += s * (double) b[o * r + k] * g[o * in + i];
                                }
                            }
                        }
                        assertClose(expectA, dA, name + " layer " + l + " " + t + " dA");
                        assertClose(expectB, dB, name + " layer " + l + " " + t + " dB");
                    }
                }
            }
        }
    }

    @Test
    void aNewAdapterChangesNothingAndTrainingMovesOnlyTheAdapters() throws Exception {
        int[] ids = {5, 9, 1, 33, 60, 2, 17, 44}, targets = {9, 1, 33, 60, 2, 17, 44, 8};
        try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaCheckpoint.load(be, LlamaFixtureTest.fixtures().resolve("llama"));
             LlamaLora lora = new LlamaLora(be, model.config(), new LlamaLora.Settings(8, 16, Set.of(LlamaLora.Target.Q, LlamaLora.Target.V,
                     LlamaLora.Target.DOWN)), 1)) {
            float[] wqBefore = read(be, model.layers().get(0).wq(), 8);
            double plain;
            try (LlamaTrainingStep full = new LlamaTrainingStep(model, ids.length)) {
                plain = full.lossAndGradients(ids, targets);
            }
            AdamW opt = new AdamW(be, lora.parameters(), lora.gradients(), lora.specs(), new AdamW.Settings(0.9f, 0.999f, 1e-8f, 0f));
            try (LlamaTrainingStep step = new LlamaTrainingStep(model, lora, ids.length)) {
                double first = step.lossAndGradients(ids, targets);
                assertEquals(plain, first, 1e-6 * plain, "B starts at zero: the adapted model is the base");
                double last = first;
                for (int i = 0; i < 30; i++) {
                    opt.step(1e-2f);
                    last = step.lossAndGradients(ids, targets);
                }
                assertTrue(last < 0.5 * first, "30 steps on one sequence: " + first + " -> " + last);
            } finally {
                opt.close();
            }
            assertArrayEquals(wqBefore, read(be, model.layers().get(0).wq(), 8), "the base is frozen");
            lora.save(dir);
            Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("adapter_config.json")));
            assertEquals("LORA", config.get("peft_type"));
            assertEquals(List.of("q_proj", "v_proj", "down_proj"), config.get("target_modules"));
            try (LlamaLora back = LlamaLora.load(be, model.config(), dir)) {
                assertEquals(lora.settings(), back.settings());
                assertArrayEquals(read(be, lora.parameters(), lora.parameters().size()), read(be, back.parameters(), back.parameters().size()));
                assertThrows(IllegalStateException.class, back::gradients, "a loaded adapter is applied, not trained: no gradient memory");
            }
        }
    }

    /** PEFT adapter files that are not plain LoRA on this model, or whose tensors disagree with their config, are refused. */
    @Test
    void adapterFilesThatDoNotFitAreRefusedWithTheReason() throws Exception {
        try (CpuBackend be = new CpuBackend(1); LlamaModel model = LlamaCheckpoint.load(be, LlamaFixtureTest.fixtures().resolve("llama"));
             LlamaLora lora = new LlamaLora(be, model.config(), new LlamaLora.Settings(4, 8, Set.of(LlamaLora.Target.Q, LlamaLora.Target.UP)), 2)) {
            lora.save(dir);
            Map<String, Object> good = new LinkedHashMap<>((Map<String, Object>) Json.parse(Files.readString(dir.resolve("adapter_config.json"))));
            List<Map.Entry<Consumer<Map<String, Object>>, String>> lies = List.of(
                    Map.entry(c -> c.put("r", 5L), "has shape"),
                    Map.entry(c -> c.put("target_modules", List.of("embed_tokens", "up_proj")), "target module embed_tokens"),
                    Map.entry(c -> c.put("target_modules", List.of("up_proj")), "is not an adapter matrix"),
                    Map.entry(c -> c.put("use_rslora", true), "use_rslora is set"),
                    Map.entry(c -> c.put("use_dora", true), "use_dora is set"),
                    Map.entry(c -> c.put("layers_to_transform", List.of(0L)), "layers_to_transform"),
                    Map.entry(c -> c.put("peft_type", "IA3"), "not LORA"),
                    Map.entry(c -> c.put("r", "4"), "r and lora_alpha must be numbers"),
                    Map.entry(c -> c.put("r", 100_000L), "rank must be 1 to 1024"));
            for (var lie : lies) {
                Map<String, Object> changed = new LinkedHashMap<>(good);
                lie.getKey().accept(changed);
                Files.writeString(dir.resolve("adapter_config.json"), Json.write(changed));
                IOException e = assertThrows(IOException.class, () -> LlamaLora.load(be, model.config(), dir).close(), lie.getValue());
                assertTrue(e.getMessage().contains(lie.getValue()), "expected '" + lie.getValue() + "' in: " + e.getMessage());
            }
        }
    }

    @Test
    void settingsOutsideTheirRangesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LlamaLora.Settings(0, 16, Set.of(LlamaLora.Target.Q)));
        assertThrows(IllegalArgumentException.class, () -> new LlamaLora.Settings(4, Double.NaN, Set.of(LlamaLora.Target.Q)));
        assertThrows(IllegalArgumentException.class, () -> new LlamaLora.Settings(4, 8, Set.of()));
    }

    private static Tensor slice(LlamaLora lora, String name, boolean gradient) {
        ParameterLayout.Spec s = lora.specs().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        return lora.backend().slice(gradient ? lora.gradients() : lora.parameters(), s.offset(), s.size());
    }

    private static void randomize(LlamaLora lora, String which, float scale, long seed) {
        Random random = new Random(seed);
        for (ParameterLayout.Spec s : lora.specs()) {
            if (!s.name().contains(which)) continue;
            float[] v = new float[Math.toIntExact(s.size())];
            for (int i = 0; i < v.length; i++) v[i] = (float) random.nextGaussian() * scale;
            lora.backend().write(lora.parameters(), s.offset(), v, 0, v.length);
        }
    }

    private static float[] read(CpuBackend be, Tensor t, long n) {
        float[] v = new float[Math.toIntExact(n)];
        be.read(t, 0, v, 0, v.length);
        return v;
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        double scale = 0, worst = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(scale > 0, what + " is all zero");
        assertTrue(worst <= 1e-4 * scale, what + ": max |difference| " + worst + " against max " + scale);
    }
}
