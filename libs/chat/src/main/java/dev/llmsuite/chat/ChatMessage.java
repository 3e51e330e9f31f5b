package dev.llmsuite.chat;

import java.util.List;
import java.util.Objects;

/**
 * One turn of a conversation, as chat templates see it (Hugging Face's message dictionaries): a role ({@code system},
 * {@code user}, {@code assistant}, {@code tool}, or whatever a template knows), its text, and for assistant turns the
 * reasoning apart from the answer and the tool calls made; for tool turns the call answered. Absent fields are null
 * (or an empty list) and are left out of what the template sees, so that {@code 'tool_calls' in message} is false.
 */
public record ChatMessage(String role, String content, String reasoningContent, List<ToolCall> toolCalls, String toolCallId) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static ChatMessage of(String role, String content) {
        return new ChatMessage(role, content, null, List.of(), null);
    }

    /**
     * A function call an assistant turn made: its id, the function's name and its arguments as the JSON text the
     * OpenAI API carries (templates see them parsed into an object when they are one, as transformers expects).
     */
    public record ToolCall(String id, String name, String arguments) {
        public ToolCall {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(arguments, "arguments");
        }
    }
}
