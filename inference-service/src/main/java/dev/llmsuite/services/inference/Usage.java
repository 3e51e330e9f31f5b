package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonProperty;

/** OpenAI's usage block. */
record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("completion_tokens") int completionTokens,
             @JsonProperty("total_tokens") int totalTokens) {
    static Usage of(int prompt, int completion) {
        return new Usage(prompt, completion, prompt + completion);
    }
}
