package dev.llmsuite.services.tokenizer;

/** Body of {@code POST /v1/datasets/{dataset}/documents}; {@code encoding} defaults to the service's. */
public record DocumentRequest(String id, String text, String encoding) {
}
