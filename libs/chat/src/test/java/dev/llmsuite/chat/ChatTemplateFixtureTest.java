package dev.llmsuite.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Thirteen models' own chat templates (Llama 3, 3.1, 3.2, 3.3, Qwen2.5, Qwen3, DeepSeek-R1's two distills, Phi-3.5,
 * Mistral NeMo, Hermes 2 Pro and 3, FireFunction v2) over eight conversations — tools offered, a tool-call round,
 * reasoning in history, escapes, a template refusing a conversation — rendered here and by Jinja2 as transformers
 * configures it ({@code src/test/python/make_chat_fixture.py} wrote expected.json): the same text to the character,
 * or the same refusal.
 */
class ChatTemplateFixtureTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIR = "/chat-templates/";

    static Stream<Arguments> renderings() {
        JsonNode expected = read("expected.json");
        Map<String, JsonNode> conversations = new LinkedHashMap<>();
        read("conversations.json").forEach(c -> conversations.put(c.get("name").asText(), c.get("context")));
        List<Arguments> cases = new ArrayList<>();
        for (JsonNode c : expected) {
            cases.add(Arguments.of(c.get("template").asText(), c.get("conversation").asText(),
                    conversations.get(c.get("conversation").asText()), c));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("renderings")
    void rendersAsJinja2Does(String templateName, String conversationName, JsonNode context, JsonNode expected) {
        ChatTemplate template = new ChatTemplate(text(templateName), context.get("bos_token").asText(), context.get("eos_token").asText());
        List<ChatMessage> messages = new ArrayList<>();
        context.get("messages").forEach(m -> messages.add(message(m)));
        List<Map<String, Object>> tools = new ArrayList<>();
        if (context.has("tools")) context.get("tools").forEach(t -> tools.add(JSON.convertValue(t, Map.class)));
        Map<String, Object> variables = new LinkedHashMap<>();
        for (String name : List.of("date_string", "enable_thinking")) {
            if (context.has(name)) variables.put(name, JSON.convertValue(context.get(name), Object.class));
        }
        boolean generationPrompt = context.get("add_generation_prompt").asBoolean();
        if (expected.has("error")) { // raise_exception: the template's own words
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> template.render(messages, tools, generationPrompt, variables));
            assertEquals(expected.get("error").asText(), e.getMessage());
        } else if (expected.has("failure")) { // Jinja2 failed inside the template (e.g. str + dict): refused here too
            assertThrows(ChatTemplateException.class, () -> template.render(messages, tools, generationPrompt, variables), expected.get("failure").asText());
        } else {
            assertEquals(expected.get("rendered").asText(), template.render(messages, tools, generationPrompt, variables));
        }
    }

    /** Hugging Face's message dictionary as the record services build from OpenAI's request. */
    private static ChatMessage message(JsonNode m) {
        List<ChatMessage.ToolCall> calls = new ArrayList<>();
        if (m.has("tool_calls")) {
            for (JsonNode call : m.get("tool_calls")) {
                JsonNode function = call.get("function");
                calls.add(new ChatMessage.ToolCall(call.path("id").asText(null), function.get("name").asText(), function.get("arguments").toString()));
            }
        }
        return new ChatMessage(m.get("role").asText(), m.get("content").asText(), m.path("reasoning_content").asText(null), calls,
                m.path("tool_call_id").asText(null));
    }

    private static JsonNode read(String name) {
        try {
            return JSON.readTree(text(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(String name) {
        try (InputStream in = ChatTemplateFixtureTest.class.getResourceAsStream(DIR + name)) {
            if (in == null) throw new IllegalStateException("no test resource " + DIR + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
