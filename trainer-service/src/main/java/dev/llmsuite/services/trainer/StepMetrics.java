package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One training step as it goes to {@code training.metrics} (key: the dataset). {@code val_loss} and {@code sample}
 * are there only at the steps that evaluated.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record StepMetrics(String job, String dataset, long step, int epoch, long batch, long tokens, double loss, Double lr,
                   @JsonProperty("tokens_per_s") Double tokensPerSecond, @JsonProperty("grad_norm") Double gradientNorm,
                   @JsonProperty("val_loss") Double validationLoss,
                   String sample) {}
