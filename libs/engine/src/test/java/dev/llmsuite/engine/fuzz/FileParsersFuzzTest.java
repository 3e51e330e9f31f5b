package dev.llmsuite.engine.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.AdapterFiles;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.io.Safetensors;
import dev.llmsuite.engine.io.gguf.GgufCheckpoint;
import dev.llmsuite.engine.io.gguf.GgufFile;
import dev.llmsuite.engine.io.gguf.LlamaGguf;
import dev.llmsuite.engine.io.tf.OpenAiCheckpoint;
import dev.llmsuite.engine.io.tf.TensorBundle;
import dev.llmsuite.engine.io.torch.TorchCheckpointFile;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing (Jazzer) of the readers that take files from outside: safetensors headers,
 * config.json against real weights, LoRA adapter files, GGUF files, PyTorch checkpoints (the restricted unpickler), TensorFlow checkpoint indexes, Llama/Qwen3 configurations, and the JSON reader under them. Each may only
 * refuse with its declared exception; anything else (another exception, an Error such as
 * OutOfMemoryError) is a finding. In the ordinary test run the committed seeds in
 * src/test/resources/.../FileParsersFuzzTestInputs run as regression tests; {@code JAZZER_FUZZ=1} fuzzes
 * (docs/fuzzing.md).
 */
class FileParsersFuzzTest {
    private static Path dir;
    private static CpuBackend backend;
    private static byte[] weights;

    @BeforeAll
    static void files() throws IOException {
        dir = Files.createTempDirectory("fuzz-");
        backend = new CpuBackend(1);
        GptModel tiny = new GptModel(backend, GptConfig.TINY);
        tiny.initialize(1);
        HfCheckpoint.save(tiny, dir.resolve("base"));
        weights = Files.readAllBytes(dir.resolve("base").resolve(HfCheckpoint.WEIGHTS));
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @FuzzTest(maxDuration = "15s")
    void safetensorsFiles(FuzzedDataProvider data) throws IOException {
        Path f = dir.resolve("fuzz.safetensors");
        Files.write(f, data.consumeRemainingAsBytes());
        try (Safetensors.Reader r = Safetensors.open(f)) {
            for (Safetensors.Entry e : r.entries().values()) {
                if (e.elements() > 1 << 20) continue; // valid, and large: reading it is not the parser's business
                if (e.dtype().equals("I32")) r.ints(e.name());
                else if (!e.dtype().equals("I64") && !e.dtype().equals("F64")) r.floats(e.name());
            }
        } catch (IOException refused) {
            // a malformed file, said so
        }
    }

    @FuzzTest(maxDuration = "15s")
    void checkpointConfigs(FuzzedDataProvider data) throws IOException {
        byte[] configJson = data.consumeRemainingAsBytes();
        Path ckpt = dir.resolve("ckpt");
        Files.createDirectories(ckpt);
        Files.write(ckpt.resolve(HfCheckpoint.WEIGHTS), weights);
        Files.write(ckpt.resolve(HfCheckpoint.CONFIG), configJson);
        try {
            HfCheckpoint.load(backend, ckpt).close();
        } catch (IOException refused) {
            // config.json that disagrees with the weights, or is no config
        }
    }

    @FuzzTest(maxDuration = "15s")
    void adapterFiles(FuzzedDataProvider data) throws IOException {
        Path adapter = dir.resolve("adapter");
        Files.createDirectories(adapter);
        Files.writeString(adapter.resolve("adapter_config.json"), data.consumeString(2000), StandardCharsets.UTF_8);
        Files.write(adapter.resolve(AdapterFiles.FILE), data.consumeRemainingAsBytes());
        try (GptModel base = HfCheckpoint.load(backend, dir.resolve("base"))) {
            AdapterFiles.load(base, adapter);
        } catch (IOException refused) {
            // an adapter that is malformed or made for other weights
        }
    }

    @FuzzTest(maxDuration = "15s")
    void ggufFiles(FuzzedDataProvider data) throws IOException {
        Path f = dir.resolve("fuzz.gguf");
        Files.write(f, data.consumeRemainingAsBytes());
        try (GgufFile g = GgufFile.open(f)) {
            for (GgufFile.TensorInfo t : g.tensors().values()) {
                if (t.type() != null && t.elements() <= 1 << 20) g.floats(t.name());
            }
            GgufCheckpoint.readVocabulary(g);
            GgufCheckpoint.load(backend, f).close();
        } catch (IOException refused) {
            // a malformed file, or not a GPT-2 this engine runs, said so
        }
    }

    /** A llama / qwen3 GGUF file: read, loaded (q/k rows un-permuted, rope_freqs turned into scaling) and run. */
    @FuzzTest(maxDuration = "15s")
    void llamaGgufFiles(FuzzedDataProvider data) throws IOException {
        Path f = dir.resolve("fuzz-llama.gguf");
        Files.write(f, data.consumeRemainingAsBytes());
        try (LlamaModel model = LlamaGguf.load(backend, f)) {
            model.forward(Arrays.copyOf(new int[] {1, 2, 3}, Math.min(3, model.config().contextLength())));
        } catch (IOException refused) {
            // a malformed file, or not a Llama / Qwen3 this engine runs, said so
        }
    }

    @FuzzTest(maxDuration = "15s")
    void torchBinFiles(FuzzedDataProvider data) throws IOException {
        Path f = dir.resolve("pytorch_model.bin");
        Files.write(f, data.consumeRemainingAsBytes());
        try (TorchCheckpointFile t = TorchCheckpointFile.open(f)) {
            for (var e : t.shapes().entrySet()) {
                long n = 1;
                for (long d : e.getValue()) n *= d;
                if (n <= 1 << 20) t.floats(e.getKey());
            }
        } catch (IOException refused) {
            // not a torch.save file, or one that lies, said so
        }
    }

    /** A TensorFlow checkpoint's index over the GPT-2 fixture's data shard and hparams.json. */
    @FuzzTest(maxDuration = "15s")
    void tfCheckpoints(FuzzedDataProvider data) throws IOException {
        Path tf = dir.resolve("tf");
        if (!Files.isDirectory(tf)) {
            Files.createDirectories(tf);
            for (String f : new String[] {"hparams.json", "model.ckpt.data-00000-of-00001"}) {
                try (var in = FileParsersFuzzTest.class.getResourceAsStream("/fixtures/tf-checkpoint/gpt2/" + f)) {
                    Files.write(tf.resolve(f), in.readAllBytes());
                }
            }
        }
        Files.write(tf.resolve("model.ckpt.index"), data.consumeRemainingAsBytes());
        try (TensorBundle b = TensorBundle.open(tf.resolve("model.ckpt"))) {
            for (var e : b.shapes().entrySet()) {
                long n = 1;
                for (long d : e.getValue()) n *= d;
                if (n <= 1 << 20) b.floats(e.getKey());
            }
            OpenAiCheckpoint.load(backend, tf).close();
        } catch (IOException refused) {
            // not a checkpoint index, or one that lies, said so
        }
    }

    /** A Llama/Qwen3 config.json over the Llama fixture's weights. */
    @FuzzTest(maxDuration = "15s")
    void llamaConfigs(FuzzedDataProvider data) throws IOException {
        Path llama = dir.resolve("llama");
        if (!Files.isDirectory(llama)) {
            Files.createDirectories(llama);
            try (var in = FileParsersFuzzTest.class.getResourceAsStream("/fixtures/llama/llama/model.safetensors")) {
                Files.write(llama.resolve("model.safetensors"), in.readAllBytes());
            }
        }
        Files.write(llama.resolve("config.json"), data.consumeRemainingAsBytes());
        try (LlamaModel model = LlamaCheckpoint.load(backend, llama)) {
            model.forward(Arrays.copyOf(new int[] {1, 2, 3}, Math.min(3, model.config().contextLength())));
        } catch (IOException refused) {
            // not a config the engine runs, or one the weights disagree with, said so
        }
    }

    @FuzzTest(maxDuration = "10s")
    void json(FuzzedDataProvider data) {
        try {
            Json.parse(data.consumeRemainingAsString());
        } catch (IllegalArgumentException refused) {
            // not JSON, or nested too deeply
        }
    }
}
