package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's response bodies, as records with OpenAI's field names: /v1/completions ({@code text_completion},
 * whole and streamed) and /v1/chat/completions ({@code chat.completion}, and {@code chat.completion.chunk}
 * when streamed). The compiler guards the shapes the official clients read, and /q/openapi shows them.
 */
final class CompletionBodies {
    private CompletionBodies() {}

    /** A {@code text_completion}: the whole answer, or (usage left out) one streamed chunk of it. */
    record TextCompletion(String id, String object, long created, String model, List<TextChoice> choices,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {
        TextCompletion(String id, long created, String model, List<TextChoice> choices, Usage usage) {
            this(id, "text_completion", created, model, choices, usage);
        }
    }

    record TextChoice(String text, int index, LegacyLogprobs logprobs, @JsonProperty("finish_reason") String finishReason) {}

    /** The completions API's logprobs: parallel lists of tokens, their logprobs, alternatives and text offsets. */
    record LegacyLogprobs(List<String> tokens, @JsonProperty("token_logprobs") List<Double> tokenLogprobs,
                          @JsonProperty("top_logprobs") List<Map<String, Double>> topLogprobs,
                          @JsonProperty("text_offset") List<Integer> textOffset) {
        static LegacyLogprobs of(List<TokenLogprob> tokens) {
            List<String> text = new ArrayList<>();
            List<Double> logprob = new ArrayList<>();
            List<Map<String, Double>> top = new ArrayList<>();
            List<Integer> offset = new ArrayList<>();
            for (TokenLogprob t : tokens) {
                text.add(t.token());
                logprob.add(t.logprob());
                Map<String, Double> alternatives = new LinkedHashMap<>();
                for (TokenLogprob a : t.top()) alternatives.putIfAbsent(a.token(), a.logprob());
                top.add(alternatives);
                offset.add(t.textOffset());
            }
            return new LegacyLogprobs(text, logprob, top, offset);
        }
    }

    /** A {@code chat.completion}. */
    record ChatCompletion(String id, String object, long created, String model, List<ChatChoice> choices, Usage usage) {
        ChatCompletion(String id, long created, String model, List<ChatChoice> choices, Usage usage) {
            this(id, "chat.completion", created, model, choices, usage);
        }
    }

    record ChatChoice(int index, Message message, ChatLogprobs logprobs, @JsonProperty("finish_reason") String finishReason) {}

    /** The answer: its text, or (content null) the tool calls it makes. */
    record Message(String role, String content,
                   @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("tool_calls") List<ToolCalls.ToolCall> toolCalls) {
        Message(String role, String content) {
            this(role, content, null);
        }
    }

    /** A {@code chat.completion.chunk}: one streamed piece of a chat answer. */
    record ChatChunk(String id, String object, long created, String model, List<ChunkChoice> choices) {
        ChatChunk(String id, long created, String model, ChunkChoice choice) {
            this(id, "chat.completion.chunk", created, model, List.of(choice));
        }
    }

    record ChunkChoice(int index, Delta delta, ChatLogprobs logprobs, @JsonProperty("finish_reason") String finishReason) {}

    /** What a chunk adds: the role first, then content; the last chunk's delta is empty. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content, @JsonProperty("tool_calls") List<ToolCalls.ToolCall> toolCalls) {
        Delta(String role, String content) {
            this(role, content, null);
        }
    }

    /** The chat API's logprobs: one entry per token with its bytes and alternatives. */
    record ChatLogprobs(List<TokenEntry> content) {
        static ChatLogprobs of(List<TokenLogprob> tokens) {
            return new ChatLogprobs(tokens.stream()
                    .map(t -> new TokenEntry(t.token(), t.logprob(), t.byteList(), t.top().stream().map(TokenEntry::alternative).toList()))
                    .toList());
        }
    }

    /** A token's entry; alternatives have no alternatives of their own (left out). */
    record TokenEntry(String token, double logprob, List<Integer> bytes,
                      @JsonProperty("top_logprobs") @JsonInclude(JsonInclude.Include.NON_NULL) List<TokenEntry> topLogprobs) {
        static TokenEntry alternative(TokenLogprob t) {
            return new TokenEntry(t.token(), t.logprob(), t.byteList(), null);
        }
    }
}
