package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.io.gguf.GgufFile;
import dev.llmsuite.engine.io.gguf.LlamaGguf;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/**
 * {@code ./llm convert} of a Llama 3 / Qwen3 directory to GGUF and back: the tokenizer, BOS, end tokens and chat
 * template travel with the weights, so {@code ./llm generate} (plain and {@code --chat}) prints the same ids from the
 * directory, the GGUF file and the directory converted back, whose weights are the original's to the bit.
 */
class LlamaConvertTest {
    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void tokenizerBosEndsAndTemplateTravelWithTheWeights(Architecture arch) throws Exception {
        Path model = dir.resolve("model");
        LlamaConfig c = arch == Architecture.LLAMA
                ? new LlamaConfig(arch, 300, 48, 96, 2, 4, 2, 16, 64, 1e-5f, 10000, new LlamaConfig.RopeScaling(8, 1, 4, 32), false, true)
                : new LlamaConfig(arch, 300, 32, 64, 2, 2, 1, 16, 64, 1e-6f, 1_000_000, null, true, false);
        try (CpuBackend be = new CpuBackend(1); LlamaModel m = LlamaModel.initialized(be, c, 5)) {
            LlamaCheckpoint.save(m, model);
        }
        LlamaGenerateTest.writeTokenizer(model);
        Map<String, Object> config = new LinkedHashMap<>((Map<String, Object>) Json.parse(Files.readString(model.resolve("config.json"))));
        config.put("bos_token_id", 298L);
        config.put("eos_token_id", List.of(299L));
        Files.writeString(model.resolve("config.json"), Json.write(config));
        Files.writeString(model.resolve("tokenizer_config.json"), Json.write(Map.of("add_bos_token", arch == Architecture.LLAMA,
                "bos_token", "<|begin_of_text|>", "eos_token", "<|end_of_text|>",
                "chat_template", "{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}assistant:")));

        Path gguf = dir.resolve("model.gguf"), back = dir.resolve("back");
        assertEquals(0, new CommandLine(new ConvertCommand()).execute(model.toString(), gguf.toString(), "--to", "gguf"));
        assertEquals(0, new CommandLine(new ConvertCommand()).execute(gguf.toString(), back.toString(), "--to", "hf"));
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(arch == Architecture.LLAMA ? "llama" : "qwen3", f.get("general.architecture").value());
            assertEquals(arch == Architecture.LLAMA, f.get("tokenizer.ggml.add_bos_token").value());
            assertTrue(f.get("tokenizer.chat_template").value().toString().contains("assistant:"));
        }
        for (String[] options : new String[][] {{}, {"--chat", "--system", "be brief"}}) {
            String[] fromDir = LlamaGenerateTest.generate(model, "the cat sat on the mat", options);
            assertEquals(fromDir[1], LlamaGenerateTest.generate(gguf, "the cat sat on the mat", options)[1], "ids from the GGUF file");
            assertEquals(fromDir[1], LlamaGenerateTest.generate(back, "the cat sat on the mat", options)[1], "ids from the directory converted back");
        }
        try (CpuBackend be = new CpuBackend(1); LlamaModel a = LlamaCheckpoint.load(be, model); LlamaModel b = LlamaCheckpoint.load(be, back);
             LlamaModel g = LlamaGguf.load(be, gguf)) {
            int[] ids = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
            assertArrayEquals(a.config().inverseFrequencies(), g.config().inverseFrequencies(), 1e-7f, "rope frequencies, scaling included");
            assertArrayEquals(a.forward(ids), b.forward(ids), "logits from the directory converted back");
            assertArrayEquals(a.forward(ids), g.forward(ids), "logits from the GGUF file");
        }

        // what ./llm serve --model FILE.gguf serves: a directory converted once, with the same ids, reused after
        Path cache = dir.resolve("converted"), served = ConvertCommand.cachedHfCopy(gguf, cache);
        for (String[] options : new String[][] {{}, {"--chat", "--system", "be brief"}}) {
            assertEquals(LlamaGenerateTest.generate(model, "the cat sat on the mat", options)[1],
                    LlamaGenerateTest.generate(served, "the cat sat on the mat", options)[1], "ids from the served copy");
        }
        var written = Files.getLastModifiedTime(served.resolve("model.safetensors"));
        assertEquals(served, ConvertCommand.cachedHfCopy(gguf, cache));
        assertEquals(written, Files.getLastModifiedTime(served.resolve("model.safetensors")), "converted once");
        try (var entries = Files.list(cache)) {
            assertEquals(List.of(served), entries.toList(), "no partial copy left beside it");
        }
    }
}
