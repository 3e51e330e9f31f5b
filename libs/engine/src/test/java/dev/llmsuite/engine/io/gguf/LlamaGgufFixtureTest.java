package dev.llmsuite.engine.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.io.ReferenceLogits;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Llama 3 and Qwen3 in GGUF. The fixtures (fixtures/make_llama_gguf_fixture.py) are the Hugging Face fixtures
 * converted by llama.cpp's own GGUF library under its converter's rules (q/k rows permuted for llama, rope_freqs for
 * Llama 3's scaling): read here, they give PyTorch's logits and the Hugging Face weights to the bit; written here from
 * the Hugging Face fixture, every tensor and key is the converter's.
 */
class LlamaGgufFixtureTest {
    @TempDir Path dir;

    private static Path fixtures() throws Exception {
        return Path.of(LlamaGgufFixtureTest.class.getResource("/fixtures/llama").toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void readsTheConvertersFileAsTheHuggingFaceWeights(String name) throws Exception {
        Map<?, ?> expected = (Map<?, ?>) ((Map<?, ?>) Json.parse(Files.readString(fixtures().resolve("logits.json"), StandardCharsets.UTF_8))).get(name);
        int[] ids = ((List<?>) expected.get("ids")).stream().mapToInt(o -> ((Long) o).intValue()).toArray();
        try (CpuBackend be = new CpuBackend(2);
             LlamaModel gguf = LlamaGguf.load(be, fixtures().resolve(name + ".gguf"));
             LlamaModel hf = LlamaCheckpoint.load(be, fixtures().resolve(name))) {
            ReferenceLogits.assertMatch(gguf.forward(ids), (List<?>) expected.get("logits"), ids.length, gguf.config().vocabSize(), name);
            LlamaConfig a = gguf.config(), b = hf.config();
            assertEquals(withoutScaling(b), withoutScaling(a));
            assertArrayEquals(b.inverseFrequencies(), a.inverseFrequencies(), 1e-7f, "rope frequencies, scaling included");
            Map<String, float[]> ours = weights(gguf), theirs = weights(hf);
            assertEquals(theirs.keySet(), ours.keySet());
            for (String tensor : theirs.keySet()) assertArrayEquals(theirs.get(tensor), ours.get(tensor), tensor);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void writesTheConvertersTensorsAndKeys(String name) throws Exception {
        Path written = dir.resolve(name + ".gguf");
        try (CpuBackend be = new CpuBackend(1); LlamaModel hf = LlamaCheckpoint.load(be, fixtures().resolve(name))) {
            LlamaGguf.save(hf, name, GgmlType.F32, null, written);
        }
        try (GgufFile theirs = GgufFile.open(fixtures().resolve(name + ".gguf")); GgufFile ours = GgufFile.open(written)) {
            assertEquals(theirs.tensors().keySet(), ours.tensors().keySet());
            for (String tensor : theirs.tensors().keySet()) {
                float[] t = theirs.floats(tensor), o = ours.floats(tensor);
                if (tensor.equals("rope_freqs.weight")) assertArrayEquals(t, o, 1e-6f, tensor);
                else assertArrayEquals(t, o, tensor);
            }
            for (var e : theirs.metadata().entrySet()) {
                if (e.getKey().startsWith("general.")) continue;
                assertTrue(ours.metadata().containsKey(e.getKey()), "missing " + e.getKey());
                assertEquals(e.getValue().value().toString(), ours.get(e.getKey()).value().toString(), e.getKey());
            }
        }
    }

    /** 16- and 8-bit files: their logits close to fp32's, the model's configuration unchanged. */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0"})
    void quantizedRoundTrips(String type) throws Exception {
        Path written = dir.resolve("llama-" + type + ".gguf");
        int[] ids = {3, 14, 15, 9, 26, 5};
        try (CpuBackend be = new CpuBackend(1); LlamaModel hf = LlamaCheckpoint.load(be, fixtures().resolve("llama"))) {
            LlamaGguf.save(hf, "llama", GgmlType.valueOf(type), null, written);
            float[] exact = hf.forward(ids);
            try (LlamaModel back = LlamaGguf.load(be, written)) {
                assertEquals(withoutScaling(hf.config()), withoutScaling(back.config()));
                float[] approx = back.forward(ids);
                double worst = 0, scale = 0;
                for (int i = 0; i < exact.length; i++) {
                    worst = Math.max(worst, Math.abs(exact[i] - approx[i]));
                    scale = Math.max(scale, Math.abs(exact[i]));
                }
                assertTrue(worst < 0.05 * scale, type + ": logits differ by " + worst + " of " + scale);
            }
        }
    }

    @Test
    void filesTheEngineDoesNotRunAreRefusedWithTheReason() throws Exception {
        Path fixture = fixtures().resolve("llama.gguf");
        refused(fixture, m -> m.meta.put("general.architecture", GgufValue.string("falcon")), "architecture 'falcon'");
        refused(fixture, m -> m.meta.put("llama.expert_count", GgufValue.uint32(8)), "expert_count is set");
        refused(fixture, m -> m.meta.put("llama.rope.scaling.type", GgufValue.string("yarn")), "rope.scaling.type is set");
        refused(fixture, m -> m.meta.put("llama.block_count", GgufValue.uint32(2_000_000_000L)), "2000000000 blocks claimed");
        refused(fixture, m -> m.meta.put("llama.rope.dimension_count", GgufValue.uint32(4)), "partial rotation");
        refused(fixture, m -> m.meta.put("llama.feed_forward_length", GgufValue.uint32(81)), "blk.0.ffn_gate.weight has shape");
        refused(fixture, m -> m.tensors.add(new GgufWriter.Tensor("blk.0.attn_q.bias", new long[] {32}, GgmlType.F32, new float[32])), "without biases");
        refused(fixture, m -> m.replace("rope_freqs.weight", new float[] {1, 3, 2, 8}), "not Llama 3's frequency scaling");
        refused(fixture, m -> m.replace("rope_freqs.weight", new float[] {1, Float.NaN, 8, 8}), "divisors are >= 1");
        refused(fixture, m -> m.replace("rope_freqs.weight", new float[] {1, 2, 8}), "rope_freqs.weight has shape");
        refused(fixture, m -> m.tensors.removeIf(t -> t.name().equals("blk.1.attn_k.weight")), "missing tensor blk.1.attn_k.weight");
    }

    /** A GGUF file's keys and tensors, to change and write again. */
    private record Contents(Map<String, GgufValue> meta, List<GgufWriter.Tensor> tensors) {
        void replace(String name, float[] values) {
            tensors.replaceAll(t -> t.name().equals(name) ? new GgufWriter.Tensor(name, new long[] {values.length}, GgmlType.F32, values) : t);
        }
    }

    private void refused(Path fixture, Consumer<Contents> change, String reason) throws IOException {
        Contents c;
        try (GgufFile f = GgufFile.open(fixture)) {
            c = new Contents(new LinkedHashMap<>(f.metadata()), new ArrayList<>());
            for (GgufFile.TensorInfo t : f.tensors().values()) c.tensors().add(new GgufWriter.Tensor(t.name(), t.dims(), t.type(), f.floats(t.name())));
        }
        change.accept(c);
        Path file = dir.resolve("changed.gguf");
        GgufWriter.write(file, c.meta(), c.tensors());
        try (CpuBackend be = new CpuBackend(1)) {
            IOException e = assertThrows(IOException.class, () -> LlamaGguf.load(be, file).close(), reason);
            assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
        }
    }

    private static LlamaConfig withoutScaling(LlamaConfig c) {
        return new LlamaConfig(c.architecture(), c.vocabSize(), c.hidden(), c.intermediate(), c.layers(), c.heads(), c.kvHeads(),
                c.headDim(), c.contextLength(), c.rmsNormEps(), c.ropeTheta(), null, c.qkNorm(), c.tiedEmbeddings());
    }

    private static Map<String, float[]> weights(LlamaModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        Map<String, long[]> shapes = LlamaCheckpoint.expectedShapes(m.config());
        for (var e : LlamaCheckpoint.byName(m.config(), m.embedding(), m.layers(), m.finalNorm(), m.head()).entrySet()) {
            long n = 1;
            for (long d : shapes.get(e.getKey())) n *= d;
            float[] v = new float[Math.toIntExact(n)];
            Tensor t = e.getValue();
            m.backend().read(t, 0, v, 0, v.length);
            out.put(e.getKey(), v);
        }
        return out;
    }
}
