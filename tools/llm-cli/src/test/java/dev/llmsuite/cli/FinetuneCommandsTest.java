package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ./llm finetune-classifier} and {@code ./llm finetune-instruct} on a tiny GPT-2-vocabulary base: they run the
 * library's pipelines (the ones trainer-service's fine-tuning jobs run) and write what they promise.
 */
class FinetuneCommandsTest {
    @TempDir
    static Path dir;
    static Path base;

    @BeforeAll
    static void tinyBase() throws Exception {
        base = dir.resolve("base");
        try (var be = new CpuBackend(1)) {
            GptModel model = new GptModel(be, new GptConfig(50257, 64, 16, 2, 2, 0.0, false, true));
            model.initialize(5);
            HfCheckpoint.save(model, base);
        }
    }

    @Test
    void theClassifierCommandWritesAServableClassifierWithItsLoraAdaptersApart() throws Exception {
        Path data = dir.resolve("things.tsv");
        String[] fruit = {"apple", "banana", "cherry"}, tools = {"hammer", "wrench", "drill"};
        Random r = new Random(3);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            lines.add("fruit\t" + fruit[r.nextInt(3)] + " " + fruit[r.nextInt(3)]);
            lines.add("tool\t" + tools[r.nextInt(3)] + " " + tools[r.nextInt(3)]);
        }
        Files.write(data, lines);
        Path out = dir.resolve("classifier");
        int rc = new CommandLine(new ClassifyFinetuneCommand()).execute("--base", base.toString(), "--data", data.toString(),
                "--mode", "lora", "--epochs", "1", "--max-length", "8", "--threads", "1", "--out", out.toString());
        assertEquals(0, rc);
        for (String f : List.of("model.safetensors", "config.json", "classifier.safetensors", "adapter")) {
            assertTrue(Files.exists(out.resolve(f)), f + " in " + out);
        }
    }

    @Test
    void theInstructionCommandWritesTheModelAndOneResponsePerTestExample() throws Exception {
        Path data = dir.resolve("alpaca.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            lines.add("{\"instruction\": \"Add one to " + i + ".\", \"input\": \"\", \"output\": \"" + (i + 1) + "\"}");
        }
        Files.write(data, lines);
        Path out = dir.resolve("instructed");
        int rc = new CommandLine(new InstructFinetuneCommand()).execute("--base", base.toString(), "--data", data.toString(),
                "--epochs", "1", "--batch", "4", "--max-length", "16", "--max-new-tokens", "2", "--threads", "1", "--out", out.toString());
        assertEquals(0, rc);
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        assertEquals(2, Files.readAllLines(out.resolve("test-responses.jsonl")).size(), "10% of 20 examples are the test split");
    }

    @Test
    void theInstructionCommandTrainsLoraAdaptersOnALlamaBase() throws Exception {
        Path llama = dir.resolve("llama-base");
        LlamaConfig c = new LlamaConfig(LlamaConfig.Architecture.LLAMA, 300, 32, 64, 1, 4, 2, 8, 64, 1e-5f, 10000, null, false, true);
        try (CpuBackend be = new CpuBackend(1); LlamaModel m = LlamaModel.initialized(be, c, 2)) {
            LlamaCheckpoint.save(m, llama);
        }
        LlamaGenerateTest.writeTokenizer(llama);
        Map<String, Object> config = new LinkedHashMap<>((Map<String, Object>) Json.parse(Files.readString(llama.resolve("config.json"))));
        config.put("eos_token_id", 299L);
        Files.writeString(llama.resolve("config.json"), Json.write(config));
        Path data = dir.resolve("llama-alpaca.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) lines.add("{\"instruction\": \"Say the cat.\", \"input\": \"\", \"output\": \"the cat\"}");
        Files.write(data, lines);
        Path out = dir.resolve("llama-instructed");
        int rc = new CommandLine(new InstructFinetuneCommand()).execute("--base", llama.toString(), "--data", data.toString(), "--epochs", "1",
                "--batch", "4", "--lr", "1e-2", "--lora-rank", "4", "--max-new-tokens", "2", "--threads", "1", "--out", out.toString());
        assertEquals(0, rc);
        for (String file : List.of("model.safetensors", "config.json", "tokenizer.json", "test-responses.jsonl", "adapter/adapter_config.json")) {
            assertTrue(Files.isRegularFile(out.resolve(file)), "missing " + file);
        }
        assertTrue(LlamaCheckpoint.isOne(out));
        // the base with the adapter merged at load gives the fine-tuned model's tokens
        assertEquals(LlamaGenerateTest.generate(out, "the cat")[1],
                LlamaGenerateTest.generate(llama, "the cat", "--adapter", out.resolve("adapter").toString())[1]);
    }
}
