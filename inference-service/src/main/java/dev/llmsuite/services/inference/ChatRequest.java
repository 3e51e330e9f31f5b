package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.service.ProblemException;
import java.util.List;

/**
 * The OpenAI chat completions request, the fields this service honours. {@code logprobs: true} reports
 * each token's logprob, with {@code top_logprobs} alternatives; {@code tools} and {@code tool_choice}: {@link ToolCalls};
 * {@code chat_template_kwargs} (vLLM's field): further variables for a model's own chat template, e.g. Qwen3's
 * {@code enable_thinking} ({@link PromptFormat}).
 */
public record ChatRequest(String model, List<Message> messages, @JsonProperty("max_tokens") Integer maxTokens,
                          Double temperature, @JsonProperty("top_p") Double topP, @JsonProperty("top_k") Integer topK,
                          Long seed, JsonNode stop, Integer n, Boolean logprobs,
                          @JsonProperty("top_logprobs") Integer topLogprobs, Boolean stream,
                          @JsonProperty("response_format") JsonNode responseFormat, List<ToolCalls.Tool> tools,
                          @JsonProperty("tool_choice") JsonNode toolChoice,
                          @JsonProperty("chat_template_kwargs") JsonNode chatTemplateKwargs) implements GenerationRequest {

    /**
     * A message: system, user, assistant (content, or the tool calls it made) or tool (a call's result, naming the
     * call it answers).
     */
    public record Message(String role, String content, @JsonProperty("tool_calls") List<ToolCalls.ToolCall> toolCalls,
                          @JsonProperty("tool_call_id") String toolCallId, String name) {
        public Message(String role, String content) {
            this(role, content, null, null, null);
        }

        /** Whether it carries tool calls (an assistant's turn may be only those). */
        boolean callsTools() {
            return toolCalls != null && !toolCalls.isEmpty();
        }

        /** 400 unless it has a role and a content, or is an assistant's turn of tool calls. */
        static void requireRoleAndContent(Message m) {
            if (m == null || m.role() == null || (m.content() == null && !("assistant".equals(m.role()) && m.callsTools()))) {
                throw ProblemException.badRequest("every message needs a 'role' and a 'content' (an assistant's may be its 'tool_calls')");
            }
        }
    }

    /** The tools and how they may be used (none without tools); 400 for malformed ones. */
    ToolCalls.Choice tooling() {
        return ToolCalls.of(tools, toolChoice);
    }

    @Override
    public Integer logprobAlternatives() {
        if (Boolean.TRUE.equals(logprobs)) return topLogprobs == null ? 0 : topLogprobs;
        if (topLogprobs != null) throw ProblemException.badRequest("'top_logprobs' needs 'logprobs': true");
        return null;
    }
}
