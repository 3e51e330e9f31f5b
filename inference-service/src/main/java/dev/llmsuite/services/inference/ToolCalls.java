package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Json;
import dev.llmsuite.service.ProblemException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * OpenAI's tool calling on chat completions: {@code tools} (functions with JSON-schema parameters) and
 * {@code tool_choice}. "required" and a named function constrain the answer to a call,
 * {@code {"name": TOOL, "arguments": {...}}} with the arguments valid for that tool's parameters ({@link StructuredOutput});
 * "auto" (the default with tools) lets the model answer freely and reports a call when its answer is one; "none" never
 * calls. A call comes back as {@code message.tool_calls} with {@code finish_reason: "tool_calls"}.
 */
final class ToolCalls {
    static final int MAX_TOOLS = 128;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BLOCK_OPEN = "<tool_call>", BLOCK_CLOSE = "</tool_call>";

    /** A tool the model may call: a function. */
    public record Tool(String type, Function function) {}

    /** @param parameters a JSON schema of an object (absent: any object) */
    public record Function(String name, String description, JsonNode parameters, Boolean strict) {}

    /** A call the model made; {@code function.arguments} is JSON text, as OpenAI sends it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ToolCall(Integer index, String id, String type, FunctionCall function) {}

    public record FunctionCall(String name, String arguments) {}

    enum Mode { NONE, AUTO, REQUIRED }

    /** The request's tools by name (in order) and how they may be used; NONE without tools. */
    record Choice(Mode mode, Map<String, Function> tools) {
        boolean forced() {
            return mode == Mode.REQUIRED;
        }
    }

    private ToolCalls() {}

    static Choice of(List<Tool> tools, JsonNode toolChoice) {
        if (tools == null || tools.isEmpty()) {
            if (toolChoice != null && !toolChoice.isNull() && !"none".equals(toolChoice.asText())) {
                throw ProblemException.badRequest("'tool_choice' needs 'tools'");
            }
            return new Choice(Mode.NONE, Map.of());
        }
        if (tools.size() > MAX_TOOLS) throw ProblemException.badRequest("at most " + MAX_TOOLS + " tools");
        Map<String, Function> byName = new LinkedHashMap<>();
        for (Tool t : tools) {
            if (t == null || !"function".equals(t.type()) || t.function() == null) {
                throw ProblemException.badRequest("every tool is {\"type\": \"function\", \"function\": {...}}");
            }
            String name = t.function().name();
            if (name == null || !NAME.matcher(name).matches()) {
                throw ProblemException.badRequest("a function name is 1-64 of a-z A-Z 0-9 _ -, got " + (name == null ? "none" : "'" + name + "'"));
            }
            if (byName.put(name, t.function()) != null) throw ProblemException.badRequest("two tools are named '" + name + "'");
        }
        if (toolChoice == null || toolChoice.isNull()) return new Choice(Mode.AUTO, byName);
        if (toolChoice.isTextual()) {
            return switch (toolChoice.asText()) {
                case "none" -> new Choice(Mode.NONE, byName);
                case "auto" -> new Choice(Mode.AUTO, byName);
                case "required" -> new Choice(Mode.REQUIRED, byName);
                default -> throw ProblemException.badRequest("'tool_choice' is none, auto, required or {\"type\": \"function\", \"function\": {\"name\"}}");
            };
        }
        String named = toolChoice.path("function").path("name").asText(null);
        if (!"function".equals(toolChoice.path("type").asText()) || named == null) {
            throw ProblemException.badRequest("'tool_choice' is none, auto, required or {\"type\": \"function\", \"function\": {\"name\"}}");
        }
        Function f = byName.get(named);
        if (f == null) throw ProblemException.badRequest("'tool_choice' names '" + named + "', which is not among the tools");
        return new Choice(Mode.REQUIRED, Map.of(named, f));
    }

    /** The tools' parameter schemas as the engine's compiler reads them, by name, for a forced call. */
    static Map<String, Object> parameterSchemas(Choice choice) {
        Map<String, Object> out = new LinkedHashMap<>();
        choice.tools().forEach((name, f) -> {
            String text = f.parameters() == null || f.parameters().isNull() ? null : f.parameters().toString();
            if (text != null && text.length() > StructuredOutput.MAX_SCHEMA_CHARS) {
                throw ProblemException.badRequest("tool '" + name + "': its parameters schema is over " + StructuredOutput.MAX_SCHEMA_CHARS + " characters");
            }
            out.put(name, text == null ? null : Json.parse(text));
        });
        return out;
    }

    /** A line per tool for the prompt, so a model that can read knows what it may call and how. */
    static String describe(Choice choice) {
        if (choice.mode() == Mode.NONE) return null;
        StringBuilder sb = new StringBuilder("You may call a tool by answering {\"name\": TOOL, \"arguments\": {...}}. Tools:");
        choice.tools().forEach((name, f) -> sb.append("\n- ").append(name)
                .append(f.description() == null ? "" : ": " + f.description())
                .append(f.parameters() == null ? "" : " Parameters: " + f.parameters()));
        return sb.toString();
    }

    /**
     * The calls an answer makes: the whole answer is one call, {@code {"name": TOOL, "arguments": {...}}} (the form this
     * suite's prompt asks for and a forced call is constrained to; Llama 3.1's {@code "parameters"} read as the
     * arguments), or one or more {@code <tool_call>…</tool_call>} blocks each holding one (the form Qwen's and Hermes'
     * templates ask for) with nothing but white space around them. Empty when the answer is anything else: then it is
     * text, as OpenAI reports an answer that calls nothing.
     */
    static List<ToolCall> parse(String text, Choice choice) {
        if (choice.mode() == Mode.NONE || text == null) return List.of();
        List<String> bodies = new ArrayList<>();
        String rest = text.strip();
        if (rest.startsWith(BLOCK_OPEN)) {
            while (rest.startsWith(BLOCK_OPEN)) {
                int end = rest.indexOf(BLOCK_CLOSE);
                if (end < 0) return List.of(); // a block the answer did not close (max_tokens): not a call
                bodies.add(rest.substring(BLOCK_OPEN.length(), end));
                rest = rest.substring(end + BLOCK_CLOSE.length()).strip();
            }
            if (!rest.isEmpty() || bodies.size() > MAX_TOOLS) return List.of();
        } else {
            bodies.add(rest);
        }
        List<ToolCall> calls = new ArrayList<>();
        for (String body : bodies) {
            ToolCall call = call(body.strip(), choice);
            if (call == null) return List.of();
            calls.add(call);
        }
        return calls;
    }

    private static ToolCall call(String text, Choice choice) {
        try {
            JsonNode call = JSON.readTree(text);
            if (call == null || !call.isObject() || !call.path("name").isTextual()) return null;
            JsonNode arguments = call.has("arguments") ? call.get("arguments") : call.get("parameters");
            if (arguments == null || !arguments.isObject() || !choice.tools().containsKey(call.get("name").asText())) return null;
            return new ToolCall(null, "call_" + UUID.randomUUID().toString().replace("-", ""), "function",
                    new FunctionCall(call.get("name").asText(), arguments.toString()));
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * The tools as a chat template reads them (transformers passes OpenAI's list as is): {@code {"type": "function",
     * "function": {"name", "description", "parameters"}}}, the parameters a parsed JSON schema; empty without tools.
     */
    static List<Map<String, Object>> forTemplate(Choice choice) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (choice.mode() == Mode.NONE) return out;
        Map<String, Object> schemas = parameterSchemas(choice);
        choice.tools().forEach((name, f) -> {
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", name);
            if (f.description() != null) function.put("description", f.description());
            if (schemas.get(name) != null) function.put("parameters", schemas.get(name));
            Map<String, Object> tool = new LinkedHashMap<>(); // tojson writes keys in this order, as Python's dict keeps them
            tool.put("type", "function");
            tool.put("function", function);
            out.add(tool);
        });
        return out;
    }

}
