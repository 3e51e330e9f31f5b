package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The OpenAI completions request, the fields this service honours. {@code stop}: a string or a list;
 * {@code logprobs}: how many alternatives to list beside each token's logprob (0 lists none).
 */
public record CompletionRequest(String model, String prompt, @JsonProperty("max_tokens") Integer maxTokens,
                                Double temperature, @JsonProperty("top_p") Double topP,
                                @JsonProperty("top_k") Integer topK, Long seed, JsonNode stop, Integer n, Integer logprobs,
                                Boolean stream, @JsonProperty("response_format") JsonNode responseFormat) implements GenerationRequest {

    @Override
    public Integer logprobAlternatives() {
        return logprobs;
    }
}
