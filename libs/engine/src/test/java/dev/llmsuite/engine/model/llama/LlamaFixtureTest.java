package dev.llmsuite.engine.model.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.io.ReferenceLogits;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Llama 3 and Qwen3 in the Hugging Face layout (fixtures/make_llama_fixture.py: random weights, and a PyTorch reference
 * written from the papers: RMSNorm, rotary embeddings with Llama 3's frequency scaling, SwiGLU, grouped-query attention,
 * Qwen3's QK-norm and separate head_dim): the engine's forward gives PyTorch's logits to 1e-4 relative; configurations
 * the engine does not run, and files that disagree with their config, are refused with the reason.
 */
class LlamaFixtureTest {
    @TempDir Path dir;

    static Path fixtures() throws Exception {
        return Path.of(LlamaFixtureTest.class.getResource("/fixtures/llama").toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void logitsArePyTorchs(String name) throws Exception {
        Map<?, ?> expected = (Map<?, ?>) ((Map<?, ?>) Json.parse(Files.readString(fixtures().resolve("logits.json"), StandardCharsets.UTF_8))).get(name);
        int[] ids = ((List<?>) expected.get("ids")).stream().mapToInt(o -> ((Long) o).intValue()).toArray();
        List<?> rows = (List<?>) expected.get("logits");
        assertTrue(LlamaCheckpoint.isOne(fixtures().resolve(name)));
        try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaCheckpoint.load(be, fixtures().resolve(name))) {
            assertEquals(name.equals("qwen3"), model.config().qkNorm());
            assertEquals(name.equals("llama"), model.config().tiedEmbeddings());
            ReferenceLogits.assertMatch(model.forward(ids), rows, ids.length, model.config().vocabSize(), name);
            // the GPT-2 paths (commands, services) say what it is rather than failing on a missing n_embd
            IOException e = assertThrows(IOException.class, () -> ModelFiles.load(be, fixtures().resolve(name)).close());
            assertTrue(e.getMessage().contains("take GPT-2 models so far"), e.getMessage());
        }
    }

    /** A prompt, then a chunk, then one token at a time through the KV cache: each row's logits as the whole forward's. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3"})
    void cachedDecodingGivesTheWholeForwardsLogits(String name) throws Exception {
        try (CpuBackend be = new CpuBackend(2); LlamaModel model = LlamaCheckpoint.load(be, fixtures().resolve(name))) {
            int[] ids = {5, 9, 1, 33, 60, 2, 17, 44, 8, 8, 30};
            int v = model.config().vocabSize();
            float[] whole = model.forward(ids);
            try (LlamaCache cache = new LlamaCache(be, model.config(), 16)) {
                float[] prompt = model.forward(new int[] {5, 9, 1}, cache, true);
                float[] chunkLast = model.forward(new int[] {33, 60, 2, 17}, cache, false);
                assertEquals(7, cache.length());
                float[][] rows = new float[ids.length][];
                for (int r = 0; r < 3; r++) rows[r] = Arrays.copyOfRange(prompt, r * v, (r + 1) * v);
                rows[6] = chunkLast;
                for (int r = 7; r < ids.length; r++) rows[r] = model.forward(new int[] {ids[r]}, cache, false);
                for (int r : new int[] {0, 1, 2, 6, 7, 8, 9, 10}) {
                    for (int j = 0; j < v; j++) {
                        assertEquals(whole[r * v + j], rows[r][j], 1e-4 * (1 + Math.abs(whole[r * v + j])), name + " row " + r + " logit " + j);
                    }
                }
                cache.setLength(7); // forget the decoded tokens: decoding them again gives the same logits
                assertEquals(rows[7][3], model.forward(new int[] {ids[7]}, cache, false)[3]);
            }
        }
    }

    @Test
    void llama3sFrequencyScalingTakesEachBranch() {
        LlamaConfig c = new LlamaConfig(LlamaConfig.Architecture.LLAMA, 64, 32, 80, 1, 4, 2, 8, 128, 1e-5f, 10000,
                new LlamaConfig.RopeScaling(8, 1, 4, 64), false, true);
        float[] f = c.inverseFrequencies();
        assertEquals(1.0, f[0], 1e-7, "wavelength 6.3 < 64/4: kept");
        assertEquals(0.01 / 8, f[2], 1e-9, "wavelength 628 > 64/1: divided by the factor");
        double smooth = (64 / (2 * Math.PI / 0.1) - 1) / (4 - 1);
        assertEquals((1 - smooth) * 0.1 / 8 + smooth * 0.1, f[1], 1e-7, "wavelength 63 between: blended");
    }

    @Test
    void configurationsTheEngineDoesNotRunAreRefused() throws Exception {
        String good = Files.readString(fixtures().resolve("llama/config.json"));
        Files.copy(fixtures().resolve("llama/model.safetensors"), dir.resolve("model.safetensors"));
        for (String[] lie : new String[][] {
                {good.replace("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\""), "'hidden_act' is gelu"},
                {good.replace("\"attention_bias\": false", "\"attention_bias\": true"), "'attention_bias' is true"},
                {good.replace("\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\""), "rope_scaling type 'yarn'"},
                {good.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"), "do not share"},
                {good.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 2000000000"), "claims 2000000000 layers"},
                {good.replace("\"intermediate_size\": 80", "\"intermediate_size\": 81"), "config.json implies"},
                {good.replace("\"vocab_size\": 64", "\"vocab_size\": 1e3"), "'vocab_size' must be an integer"},
                {good.replace("LlamaForCausalLM", "MistralForCausalLM"), "names no architecture read here"}}) {
            Files.writeString(dir.resolve("config.json"), lie[0]);
            try (CpuBackend be = new CpuBackend(1)) {
                IOException e = assertThrows(IOException.class, () -> LlamaCheckpoint.load(be, dir).close(), lie[1]);
                assertTrue(e.getMessage().contains(lie[1]), "expected '" + lie[1] + "' in: " + e.getMessage());
            }
        }
    }
}
