package dev.llmsuite.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.records.Json;
import dev.llmsuite.tokenizer.ByteLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model directory's tokens as every reader takes them: end ids from config.json then generation_config.json, BOS
 * only when tokenizer_config.json adds it and config.json names it; ids outside the tokenizer and malformed values refused.
 */
class ModelTokensTest {
    @TempDir Path dir;

    private void tokenizer() throws Exception {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(ByteLevel.toString(new byte[] {(byte) b}), (long) b);
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(Map.of(
                "model", Map.of("type", "BPE", "vocab", vocab, "merges", List.of()),
                "pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true),
                "added_tokens", List.of(Map.of("id", 256L, "content", "<s>", "special", true), Map.of("id", 257L, "content", "</s>", "special", true)))));
    }

    @Test
    void endsBosAndPrompts() throws Exception {
        tokenizer();
        Files.writeString(dir.resolve("config.json"), "{\"bos_token_id\": 256, \"eos_token_id\": [257]}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [257, 10]}");
        ModelTokens plain = ModelTokens.fromDirectory(dir);
        assertEquals(List.of(257, 10), plain.ends());
        assertEquals(257, plain.eos());
        assertFalse(plain.addBos(), "no tokenizer_config.json: no BOS");
        assertArrayEquals(new int[] {'h', 'i', 257}, plain.encodePrompt("hi</s>"));
        assertTrue(plain.chatTemplate().isEmpty());
        plain.requireRows(258);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> plain.requireRows(257)).getMessage().contains("258 ids"),
                "a model with fewer embedding rows than ids");

        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"chat_template\": \"{{ messages[0].content }}\"}");
        ModelTokens withBos = ModelTokens.fromDirectory(dir);
        assertArrayEquals(new int[] {256, 'h', 'i', 257}, withBos.encodePrompt("hi</s>"), "a prompt reads special spellings");
        assertArrayEquals(new int[] {256, 'h', 'i', '<', '/', 's', '>'}, withBos.encodeText("hi</s>"), "a user's text does not");
        assertTrue(withBos.chatTemplate().isPresent());

        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 257}");
        ModelTokens noBosId = ModelTokens.fromDirectory(dir);
        assertFalse(noBosId.addBos(), "add_bos_token without a bos_token_id adds nothing");
        assertNull(noBosId.bos());
    }

    @Test
    void hostileValuesAreRefusedWithReasons() throws Exception {
        tokenizer();
        for (String config : new String[] {"{\"eos_token_id\": 99999}", "{\"eos_token_id\": -1}", "{\"eos_token_id\": \"</s>\"}",
                "{\"eos_token_id\": 1e30}", "{\"eos_token_id\": [1, \"x\"]}", "{\"bos_token_id\": 300}"}) {
            Files.writeString(dir.resolve("config.json"), config);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelTokens.fromDirectory(dir), config);
            assertTrue(e.getMessage().contains("token"), e.getMessage());
        }
        Files.writeString(dir.resolve("config.json"), "[]");
        assertThrows(IOException.class, () -> ModelTokens.fromDirectory(dir));
        Files.delete(dir.resolve("tokenizer.json"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelTokens.fromDirectory(dir)).getMessage().contains("tokenizer.json"));
    }
}
