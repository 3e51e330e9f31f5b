package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;

/** {@code POST /v1/classify}: a model with a classification head, and one text or a list of texts. */
public record ClassifyRequest(String model, JsonNode input) {}
