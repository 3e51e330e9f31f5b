package dev.llmsuite.engine.io.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Q4_K_M and Q5_K_M files as llama.cpp's llama-quantize writes them (fixtures/make_kquant_fixture.py: Q4_K, Q5_K and
 * Q6_K tensors), decoded here as gguf-py decodes them: every tensor's type, 64 of its values to the bit, its sum and
 * sum of squares; and the model loads and runs from them.
 */
class KQuantFixtureTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama-q4_k_m.gguf", "llama-q5_k_m.gguf"})
    void decodedAsGgufPyDecodesThem(String name) throws Exception {
        Path dir = Path.of(KQuantFixtureTest.class.getResource("/fixtures/kquant").toURI());
        Map<?, ?> expected = (Map<?, ?>) ((Map<?, ?>) Json.parse(Files.readString(dir.resolve("expected.json"), StandardCharsets.UTF_8))).get(name);
        try (GgufFile f = GgufFile.open(dir.resolve(name))) {
            assertEquals(expected.keySet(), f.tensors().keySet());
            for (var e : expected.entrySet()) {
                Map<?, ?> t = (Map<?, ?>) e.getValue();
                String tensor = (String) e.getKey();
                assertEquals(t.get("type"), f.tensors().get(tensor).type().name(), tensor);
                float[] values = f.floats(tensor);
                double sum = 0, sumsq = 0;
                for (float v : values) {
                    sum += v;
                    sumsq += (double) v * v;
                }
                double expectedSumsq = ((Number) t.get("sumsq")).doubleValue();
                assertEquals(expectedSumsq, sumsq, 1e-9 * expectedSumsq, tensor + " sum of squares");
                assertEquals(((Number) t.get("sum")).doubleValue(), sum, 1e-9 * Math.sqrt(expectedSumsq * values.length), tensor + " sum");
                List<?> indices = (List<?>) t.get("indices"), picks = (List<?>) t.get("values");
                for (int i = 0; i < indices.size(); i++) {
                    int at = ((Number) indices.get(i)).intValue();
                    assertEquals(((Number) picks.get(i)).floatValue(), values[at], tensor + "[" + at + "]");
                }
            }
        }
        try (CpuBackend be = new CpuBackend(1); LlamaModel model = LlamaGguf.load(be, dir.resolve(name))) {
            float[] logits = model.forward(new int[] {1, 2, 3});
            for (float x : logits) assertTrue(Float.isFinite(x));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"q4_k", "q5_k", "q6_k"})
    void kQuantsAreReadNotWritten(String label) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GgmlType.parse(label));
        assertTrue(e.getMessage().contains("f32, f16, bf16 or q8_0"), e.getMessage());
    }
}
