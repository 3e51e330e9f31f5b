package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;

/** The sampling fields that completions and chat completions requests share. */
interface GenerationRequest {
    String model();

    Integer maxTokens();

    Double temperature();

    Double topP();

    Integer topK();

    Long seed();

    /** A string or up to 4 strings. */
    JsonNode stop();

    /** Choices to generate (default 1). */
    Integer n();

    Boolean stream();

    /** Alternatives to report per token with its logprob, or null for no logprobs. */
    Integer logprobAlternatives();

    /** OpenAI's response_format: text, json_object or json_schema ({@link StructuredOutput}); null is text. */
    JsonNode responseFormat();
}
