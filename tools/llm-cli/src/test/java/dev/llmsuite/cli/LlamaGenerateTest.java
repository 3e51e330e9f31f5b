package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import dev.llmsuite.engine.model.llama.LlamaGenerator;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.Json;
import dev.llmsuite.tokenizer.ByteLevel;
import dev.llmsuite.tokenizer.HfTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ./llm generate} on a Llama-layout directory (random weights, a small byte-level tokenizer.json with a BOS the
 * tokenizer_config asks for): the ids it prints are the engine's generation after [BOS] + the tokenizer's ids of the
 * prompt, and the text is their decoding.
 */
class LlamaGenerateTest {
    @TempDir Path dir;

    @Test
    void generatesWithTheDirectorysTokenizerAndBos() throws Exception {
        Path model = dir.resolve("tiny-llama");
        LlamaConfig c = new LlamaConfig(Architecture.LLAMA, 300, 48, 96, 2, 4, 2, 16, 64, 1e-5f, 10000, null, false, true);
        try (CpuBackend be = new CpuBackend(1); LlamaModel m = LlamaModel.initialized(be, c, 9)) {
            LlamaCheckpoint.save(m, model);
        }
        writeTokenizer(model);
        Map<String, Object> config = new LinkedHashMap<>((Map<String, Object>) Json.parse(Files.readString(model.resolve("config.json"))));
        config.put("bos_token_id", 298L);
        config.put("eos_token_id", List.of(299L));
        Files.writeString(model.resolve("config.json"), Json.write(config));
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}");

        String prompt = "the cat sat on the mat";
        String[] lines = generate(model, prompt);
        HfTokenizer tokenizer = HfTokenizer.read(model.resolve("tokenizer.json"));
        int[] text = tokenizer.encode(prompt);
        int[] withBos = new int[text.length + 1];
        withBos[0] = 298;
        System.arraycopy(text, 0, withBos, 1, text.length);
        int[] expected;
        try (CpuBackend be = new CpuBackend(1); LlamaModel m = LlamaCheckpoint.load(be, model)) {
            expected = new LlamaGenerator(m).generate(withBos, new SamplingParams(10, 0, 0, 1, 0, Set.of(299)), null);
        }
        assertArrayEquals(expected, Arrays.stream(lines[1].trim().split(" ")).mapToInt(Integer::parseInt).toArray());
        assertEquals(prompt + tokenizer.decode(expected), lines[0]);
        assertNotEquals(0, new CommandLine(new GenerateCommand()).execute("--model", model.toString(), "--prompt", "x", "--draft", "int8"));
    }

    @Test
    void chatPutsTheMessagesInTheDirectorysTemplate() throws Exception {
        Path model = dir.resolve("tiny-chat");
        LlamaConfig c = new LlamaConfig(Architecture.QWEN3, 300, 32, 64, 1, 2, 1, 16, 64, 1e-6f, 1_000_000, null, true, false);
        try (CpuBackend be = new CpuBackend(1); LlamaModel m = LlamaModel.initialized(be, c, 3)) {
            LlamaCheckpoint.save(m, model);
        }
        writeTokenizer(model);
        Files.writeString(model.resolve("tokenizer_config.json"), Json.write(Map.of("bos_token", "<|begin_of_text|>",
                "chat_template", "{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                        + "{% if add_generation_prompt %}assistant:{% endif %}")));

        String[] lines = generate(model, "the cat", "--chat", "--system", "be brief");
        HfTokenizer tokenizer = HfTokenizer.read(model.resolve("tokenizer.json"));
        int[] text = tokenizer.encode("system: be brief\nuser: the cat\nassistant:");
        int[] prompt = new int[text.length + 1];
        prompt[0] = 298; // the template's bos_token, an added token
        System.arraycopy(text, 0, prompt, 1, text.length);
        int[] expected;
        try (CpuBackend be = new CpuBackend(1); LlamaModel m = LlamaCheckpoint.load(be, model)) {
            expected = new LlamaGenerator(m).generate(prompt, new SamplingParams(10, 0, 0, 1, 0, Set.of()), null);
        }
        assertArrayEquals(expected, Arrays.stream(lines[1].trim().split(" ")).mapToInt(Integer::parseInt).toArray());
        assertEquals(tokenizer.decode(expected), lines[0]);

        // --template-var reaches the template: a variable it prints
        Files.writeString(model.resolve("tokenizer_config.json"), Json.write(Map.of("bos_token", "<|begin_of_text|>",
                "chat_template", "{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                        + "{% if add_generation_prompt %}assistant:{% if enable_thinking is defined and not enable_thinking %} (no thinking){% endif %}{% endif %}")));
        String[] notThinking = generate(model, "the cat", "--chat", "--template-var", "enable_thinking=false");
        int[] quietPrompt = tokenizer.encode("user: the cat\nassistant: (no thinking)");
        int[] withBos = new int[quietPrompt.length + 1];
        withBos[0] = 298;
        System.arraycopy(quietPrompt, 0, withBos, 1, quietPrompt.length);
        try (CpuBackend be = new CpuBackend(1); LlamaModel m = LlamaCheckpoint.load(be, model)) {
            assertArrayEquals(new LlamaGenerator(m).generate(withBos, new SamplingParams(10, 0, 0, 1, 0, Set.of()), null),
                    Arrays.stream(notThinking[1].trim().split(" ")).mapToInt(Integer::parseInt).toArray(), "the variable reached the prompt");
        }
        assertNotEquals(0, new CommandLine(new GenerateCommand()).execute("--model", model.toString(), "--chat", "--prompt", "hi",
                "--template-var", "bos_token=x"), "the template's own variables stay its own");

        // a message spelling an added token, and --chat on a directory without a template, are refused
        assertNotEquals(0, new CommandLine(new GenerateCommand()).execute("--model", model.toString(), "--chat", "--prompt", "hi<|end_of_text|>"));
        Files.delete(model.resolve("tokenizer_config.json"));
        assertNotEquals(0, new CommandLine(new GenerateCommand()).execute("--model", model.toString(), "--chat", "--prompt", "hi"));
    }

    static String[] generate(Path model, String prompt, String... options) {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            List<String> args = new ArrayList<>(List.of("--model", model.toString(), "--prompt", prompt, "--max-tokens", "10", "--ids", "--threads", "1"));
            args.addAll(List.of(options));
            assertEquals(0, new CommandLine(new GenerateCommand()).execute(args.toArray(String[]::new)));
        } finally {
            System.setOut(saved);
        }
        return captured.toString(StandardCharsets.UTF_8).split("\n");
    }

    /** 256 byte tokens, 42 merges of letter pairs and spaces, and two added tokens: 300 ids. */
    static void writeTokenizer(Path model) throws Exception {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(ByteLevel.toString(new byte[] {(byte) b}), (long) b);
        List<String> merges = new ArrayList<>();
        String[] pairs = {"Ġ t", "h e", "Ġt he", "a t", "Ġ c", "Ġc at", "Ġ s", "Ġs at", "o n", "Ġ on", "Ġ m", "Ġm at"};
        long id = 256;
        for (String p : pairs) {
            merges.add(p);
            vocab.put(p.replace(" ", ""), id++);
        }
        for (char a = 'a'; id < 298; a++) {
            for (char b = 'a'; b <= 'z' && id < 298; b += 5) {
                String p = a + " " + b;
                if (vocab.containsKey(p.replace(" ", ""))) continue;
                merges.add(p);
                vocab.put(p.replace(" ", ""), id++);
            }
        }
        Map<String, Object> tokenizer = Map.of(
                "model", Map.of("type", "BPE", "vocab", vocab, "merges", merges, "ignore_merges", true),
                "pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                        Map.of("type", "Split", "pattern", Map.of("Regex",
                                "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
                                "behavior", "Isolated", "invert", false),
                        Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", false))),
                "added_tokens", List.of(Map.of("id", 298L, "content", "<|begin_of_text|>", "special", true),
                        Map.of("id", 299L, "content", "<|end_of_text|>", "special", true)));
        Files.writeString(model.resolve("tokenizer.json"), Json.write(tokenizer));
    }
}
