package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The OpenAI chat completions request, the fields this service honours. */
public record ChatRequest(String model, List<Message> messages, @JsonProperty("max_tokens") Integer maxTokens,
                          Double temperature, @JsonProperty("top_p") Double topP, @JsonProperty("top_k") Integer topK,
                          Long seed, JsonNode stop, Boolean stream) {

    public record Message(String role, String content) {}
}
