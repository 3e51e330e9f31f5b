package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
}
