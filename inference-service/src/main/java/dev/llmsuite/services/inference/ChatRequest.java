package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.service.ProblemException;
import java.util.List;

/**
 * The OpenAI chat completions request, the fields this service honours. {@code logprobs: true} reports
 * each token's logprob, with {@code top_logprobs} alternatives.
 */
public record ChatRequest(String model, List<Message> messages, @JsonProperty("max_tokens") Integer maxTokens,
                          Double temperature, @JsonProperty("top_p") Double topP, @JsonProperty("top_k") Integer topK,
                          Long seed, JsonNode stop, Integer n, Boolean logprobs,
                          @JsonProperty("top_logprobs") Integer topLogprobs, Boolean stream,
                          @JsonProperty("response_format") JsonNode responseFormat) implements GenerationRequest {

    public record Message(String role, String content) {}

    @Override
    public Integer logprobAlternatives() {
        if (Boolean.TRUE.equals(logprobs)) return topLogprobs == null ? 0 : topLogprobs;
        if (topLogprobs != null) throw ProblemException.badRequest("'top_logprobs' needs 'logprobs': true");
        return null;
    }
}
