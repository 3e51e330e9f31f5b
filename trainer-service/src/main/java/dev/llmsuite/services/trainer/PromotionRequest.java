package dev.llmsuite.services.trainer;

/**
 * {@code POST /v1/models/{model}/promotions}: serve this step under the model's name (an older step: a rollback).
 *
 * @param reason free text kept in the promotion record (at most 500 characters)
 */
public record PromotionRequest(Long step, String reason) {
    static final int MAX_REASON = 500;
}
