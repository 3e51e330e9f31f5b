package dev.llmsuite.services.tokenizer;

/** Body of {@code POST /v1/datasets/{dataset}/documents}. */
public record DocumentRequest(String id, String text) {
}
