package dev.llmsuite.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a Hugging Face model directory keeps its chat template, in each of the shapes transformers writes. */
class ChatTemplateModelDirectoryTest {
    private static final List<ChatMessage> HI = List.of(ChatMessage.of("user", "hi"));

    @Test
    void aStringInTokenizerConfigWithAddedTokenDictionaries(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<|begin_of_text|>", "lstrip": false}, "eos_token": "<|eot_id|>",
                 "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"}""");
        ChatTemplate template = ChatTemplate.fromModelDirectory(dir).orElseThrow();
        assertEquals("<|begin_of_text|>hi<|eot_id|>", template.render(HI, false));
        assertEquals("<|begin_of_text|>", template.bosToken());
    }

    @Test
    void namedTemplatesTakeDefault(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "plain"}]}""");
        assertEquals("plain", ChatTemplate.fromModelDirectory(dir).orElseThrow().render(HI, false));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": [{"name": "tool_use", "template": "tools"}]}""");
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDirectory(dir));
    }

    @Test
    void chatTemplateJinjaComesFirst(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"old\", \"eos_token\": \"</s>\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "new{{ eos_token }}");
        assertEquals("new</s>", ChatTemplate.fromModelDirectory(dir).orElseThrow().render(HI, false));
    }

    @Test
    void noTemplateIsEmpty(@TempDir Path dir) throws Exception {
        assertTrue(ChatTemplate.fromModelDirectory(dir).isEmpty());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        assertTrue(ChatTemplate.fromModelDirectory(dir).isEmpty());
    }

    @Test
    void hostileFilesAreRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "[1, 2]");
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDirectory(dir));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 42}");
        assertTrue(ChatTemplate.fromModelDirectory(dir).isEmpty());
        try (RandomAccessFile big = new RandomAccessFile(dir.resolve("tokenizer_config.json").toFile(), "rw")) {
            big.setLength(33L << 20); // sparse: refused by its size before a byte is read
        }
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDirectory(dir));
        Files.delete(dir.resolve("tokenizer_config.json"));
        try (RandomAccessFile big = new RandomAccessFile(dir.resolve("chat_template.jinja").toFile(), "rw")) {
            big.setLength(5L << 20);
        }
        assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDirectory(dir));
    }
}
