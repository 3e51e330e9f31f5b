package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code POST /v1/embeddings}, OpenAI's shape: {@code input} is a string, a list of strings, a list of token ids, or a
 * list of such lists; {@code encoding_format} "float" (default) or "base64" (little-endian float32, what OpenAI's
 * clients ask for by default); {@code dimensions} cuts each vector to its first values, at length 1 again.
 */
public record EmbeddingsRequest(String model, JsonNode input, @JsonProperty("encoding_format") String encodingFormat,
                                Integer dimensions, String user) {}
