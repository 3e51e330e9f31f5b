package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.io.gguf.GgmlType;
import dev.llmsuite.engine.io.gguf.GgufCheckpoint;
import dev.llmsuite.engine.io.gguf.GgufFile;
import dev.llmsuite.engine.io.gguf.GgufVocabulary;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.tokenizer.Encodings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
 * {@code ./llm convert} and {@code ./llm generate} on a tiny model with GPT-2's vocabulary: hf → gguf → hf gives the
 * same weights to the bit, the GGUF carries GPT-2's tokenizer as llama.cpp reads it, both files generate the same
 * tokens, and an output that exists, lies inside the input, or a GGUF of another vocabulary is refused untouched.
 */
class ConvertCommandTest {
    @TempDir static Path dir;
    static Path base;

    @BeforeAll
    static void tinyBase() throws Exception {
        base = dir.resolve("base");
        try (var be = new CpuBackend(1); GptModel model = new GptModel(be, new GptConfig(50257, 64, 32, 2, 2, 0.0, true, true))) {
            Random r = new Random(11);
            float[] all = new float[(int) model.layout().totalSize()];
            for (int i = 0; i < all.length; i++) all[i] = (float) r.nextGaussian() * 0.2f;
            be.write(model.parameters(), 0, all, 0, all.length);
            HfCheckpoint.save(model, base);
        }
    }

    static int run(Object command, String... args) {
        return new CommandLine(command).execute(args);
    }

    static float[] parameters(Path model) throws Exception {
        try (var be = new CpuBackend(1); GptModel m = ModelFiles.load(be, model)) {
            float[] all = new float[(int) m.layout().totalSize()];
            be.read(m.parameters(), 0, all, 0, all.length);
            return all;
        }
    }

    @Test
    void hfToGgufAndBackIsTheSameModelWithGpt2sTokenizer() throws Exception {
        Path gguf = dir.resolve("round.gguf"), back = dir.resolve("back");
        assertEquals(0, run(new ConvertCommand(), base.toString(), gguf.toString(), "--to", "gguf"));
        assertEquals(0, run(new ConvertCommand(), gguf.toString(), back.toString(), "--to", "hf"));
        assertArrayEquals(parameters(base), parameters(back));
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufVocabulary v = GgufCheckpoint.readVocabulary(f);
            assertEquals(50257, v.tokens().size());
            assertEquals(50000, v.merges().size());
            assertEquals("Ġ t", v.merges().get(0), "GPT-2's first merge, in its byte-level spelling");
            assertEquals(List.of("<|endoftext|>", GgufVocabulary.CONTROL), List.of(v.tokens().get(50256), v.types().get(50256)));
            assertEquals(50256, v.eos());
            assertTrue(GgufTokenizers.isGpt2(v));
        }
    }

    @Test
    void theGgufGeneratesWhatTheCheckpointGenerates() throws Exception {
        Path gguf = dir.resolve("gen.gguf"), q8 = dir.resolve("gen-q8.gguf");
        assertEquals(0, run(new ConvertCommand(), base.toString(), gguf.toString(), "--to", "gguf"));
        assertEquals(0, run(new ConvertCommand(), base.toString(), q8.toString(), "--to", "gguf", "--type", "q8_0"));
        String fromHf = generate(base), fromGguf = generate(gguf);
        assertEquals(fromHf, fromGguf);
        assertTrue(fromHf.lines().count() >= 2 && fromHf.lines().toList().getLast().split(" ").length == 12, fromHf);
        assertEquals(GgmlType.Q8_0, GgmlType.byId(GgufFile.open(q8).tensors().get("blk.0.ffn_up.weight").typeId()));
    }

    @Test
    void aDraftChangesNothingButTheTime() {
        assertEquals(generate(base), generate(base, "--draft", "int8", "--lookahead", "3"));
        // sampling with a draft: the same distribution, not the same draws; a seed makes it repeat itself
        String sampled = generate(base, "--draft", "int8", "--temperature", "0.8", "--seed", "5");
        assertEquals(sampled, generate(base, "--draft", "int8", "--temperature", "0.8", "--seed", "5"));
    }

    static String generate(Path model, String... more) {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            List<String> args = new ArrayList<>(List.of("--model", model.toString(), "--prompt", "Once upon a time",
                    "--max-tokens", "12", "--ids", "--threads", "1"));
            args.addAll(List.of(more));
            assertEquals(0, run(new GenerateCommand(), args.toArray(String[]::new)));
        } finally {
            System.setOut(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** OpenAI's layout (a TensorFlow checkpoint and hparams.json: libs/engine's fixture) converts without a change. */
    @Test
    void openAisGpt2DirectoryConvertsToHfAndGgufAndIsCachedForServing() throws Exception {
        Path openAi = Path.of("../../libs/engine/src/test/resources/fixtures/tf-checkpoint/gpt2").toAbsolutePath().normalize();
        assertEquals(ModelFiles.Format.TF, ModelFiles.detect(openAi));
        Path hf = dir.resolve("openai-hf"), gguf = dir.resolve("openai.gguf");
        assertEquals(0, run(new ConvertCommand(), openAi.toString(), hf.toString(), "--to", "hf"));
        assertEquals(0, run(new ConvertCommand(), openAi.toString(), gguf.toString(), "--to", "gguf"));
        float[] original = parameters(openAi);
        assertArrayEquals(original, parameters(hf));
        assertArrayEquals(original, parameters(gguf));
        Path cached = ConvertCommand.cachedHfCopy(openAi, dir.resolve("converted"));
        assertArrayEquals(original, parameters(cached));
        assertEquals(cached, ConvertCommand.cachedHfCopy(openAi, dir.resolve("converted")), "converted once, then reused");
    }

    @Test
    void refusalsLeaveEverythingAsItWas() throws Exception {
        Path existing = dir.resolve("existing.gguf");
        Files.writeString(existing, "a user's file");
        assertNotEquals(0, run(new ConvertCommand(), base.toString(), existing.toString(), "--to", "gguf"));
        assertEquals("a user's file", Files.readString(existing));
        assertNotEquals(0, run(new ConvertCommand(), base.toString(), base.resolve("inside").toString(), "--to", "hf"));
        assertTrue(Files.notExists(base.resolve("inside")));
        assertNotEquals(0, run(new ConvertCommand(), base.toString(), dir.resolve("x.gguf").toString(), "--to", "gguf", "--type", "q4_k"));
        assertNotEquals(0, run(new ConvertCommand(), base.toString(), dir.resolve("x").toString(), "--to", "onnx"));
        assertNotEquals(0, run(new ConvertCommand(), dir.resolve("missing").toString(), dir.resolve("y").toString(), "--to", "hf"));
        assertNotEquals(0, run(new ConvertCommand(), existing.toString(), dir.resolve("z").toString(), "--to", "hf"));
        assertTrue(Files.notExists(dir.resolve("x.gguf")) && Files.notExists(dir.resolve("y")) && Files.notExists(dir.resolve("z")));

        // a GGUF whose tokens are not GPT-2's: its weights would be served with the wrong tokenizer
        Path other = dir.resolve("other.gguf");
        try (var be = new CpuBackend(1); GptModel m = ModelFiles.load(be, base)) {
            GgufVocabulary gpt2 = GgufTokenizers.of(Encodings.gpt2());
            List<String> tokens = new ArrayList<>(gpt2.tokens());
            tokens.set(300, "changed");
            GgufCheckpoint.save(m, "other", GgmlType.F32, new GgufVocabulary("gpt2", "gpt-2", tokens, gpt2.types(), gpt2.merges(), 50256, 50256), other);
        }
        assertNotEquals(0, run(new ConvertCommand(), other.toString(), dir.resolve("other-hf").toString(), "--to", "hf"));
        assertTrue(Files.notExists(dir.resolve("other-hf")));
        // gguf to gguf (another type) keeps the file's own tokenizer, never GPT-2's in its place
        Path requantized = dir.resolve("other-q8.gguf");
        assertEquals(0, run(new ConvertCommand(), other.toString(), requantized.toString(), "--to", "gguf", "--type", "q8_0"));
        try (GgufFile f = GgufFile.open(requantized)) {
            assertEquals("changed", GgufCheckpoint.readVocabulary(f).tokens().get(300));
        }
    }
}
