package dev.llmsuite.chat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing (Jazzer) of chat templates, which come from model files: any template over a conversation
 * with reasoning and a tool call renders or is refused with ChatTemplateException; anything else, Errors included, is
 * a finding. Seeds: the five models' templates and one of each rewritten construct
 * (src/test/resources/.../ChatTemplateFuzzTestInputs/templates); {@code JAZZER_FUZZ=1} fuzzes (docs/fuzzing.md).
 */
class ChatTemplateFuzzTest {
    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.of("system", "Be brief."),
            ChatMessage.of("user", "Weather in Paris? {{ 7 * 7 }}"),
            new ChatMessage("assistant", "<think>\nlook it up\n</think>\n\n", null,
                    List.of(new ChatMessage.ToolCall("call_1", "get_weather", "{\"city\": \"Paris\"}")), null),
            new ChatMessage("tool", "{\"temperature\": 18}", null, List.of(), "call_1"));
    private static final List<Map<String, Object>> TOOLS = List.of(Map.of("type", "function",
            "function", Map.of("name", "get_weather", "parameters", Map.of("type", "object"))));

    @FuzzTest(maxDuration = "10s")
    void templates(byte[] source) {
        try {
            ChatTemplate template = new ChatTemplate(new String(source, StandardCharsets.UTF_8), "<s>", "</s>");
            template.render(CONVERSATION, TOOLS, true, Map.of("enable_thinking", false));
        } catch (ChatTemplateException refused) {
            // not a template this renderer takes, or one that refused the conversation: said why
        }
    }
}
