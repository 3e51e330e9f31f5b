package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What counts as a call in an answer: the whole answer one call (this suite's form, Llama 3.1's "parameters"), or
 * {@code <tool_call>} blocks and nothing else (Qwen's and Hermes' form); anything else is text. And the tools as a
 * chat template reads them.
 */
class ToolCallsParseTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ToolCalls.Choice choice(String toolChoice) throws Exception {
        ToolCalls.Tool weather = new ToolCalls.Tool("function", new ToolCalls.Function("get_weather", "Weather in a city",
                JSON.readTree("{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}"), null));
        ToolCalls.Tool time = new ToolCalls.Tool("function", new ToolCalls.Function("get_time", null, null, null));
        return ToolCalls.of(List.of(weather, time), toolChoice == null ? null : JSON.readTree(toolChoice));
    }

    @Test
    void callsInEachFormAndTextOtherwise() throws Exception {
        ToolCalls.Choice auto = choice(null);
        List<ToolCalls.ToolCall> one = ToolCalls.parse(" {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n", auto);
        assertEquals(1, one.size());
        assertEquals("get_weather", one.getFirst().function().name());
        assertEquals("{\"city\":\"Oslo\"}", one.getFirst().function().arguments());
        assertTrue(one.getFirst().id().startsWith("call_"));

        assertEquals("{\"city\":\"Rome\"}", ToolCalls.parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Rome\"}}", auto)
                .getFirst().function().arguments(), "Llama 3.1's parameters");

        List<ToolCalls.ToolCall> two = ToolCalls.parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>", auto);
        assertEquals(List.of("get_weather", "get_time"), two.stream().map(c -> c.function().name()).toList());

        for (String text : new String[] {"It is sunny.", "Sure: {\"name\": \"get_weather\", \"arguments\": {}}",
                "{\"name\": \"delete_everything\", \"arguments\": {}}", "{\"name\": \"get_time\", \"arguments\": \"now\"}",
                "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call> and some text",
                "<tool_call>{\"name\": \"get_time\", \"arguments\": {}}", "<tool_call>not json</tool_call>", "", "[1, 2]"}) {
            assertEquals(List.of(), ToolCalls.parse(text, auto), text);
        }
        assertEquals(List.of(), ToolCalls.parse("{\"name\": \"get_time\", \"arguments\": {}}", choice("\"none\"")), "tool_choice none");
    }

    @Test
    void theTemplateSeesOpenAisToolList() throws Exception {
        assertEquals(List.of(
                Map.of("type", "function", "function", Map.of("name", "get_weather", "description", "Weather in a city",
                        "parameters", Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string"))))),
                Map.of("type", "function", "function", Map.of("name", "get_time"))), ToolCalls.forTemplate(choice(null)));
        assertEquals(List.of(), ToolCalls.forTemplate(choice("\"none\"")));
        assertEquals(1, ToolCalls.forTemplate(choice("{\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}")).size());
    }
}
