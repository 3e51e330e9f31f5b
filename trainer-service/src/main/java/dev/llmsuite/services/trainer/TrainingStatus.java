package dev.llmsuite.services.trainer;

/** {@code GET /v1/training/{dataset}}. Losses are NaN-free: null until measured. */
public record TrainingStatus(String dataset, String vocabularyHash, long steps, long tokens,
                             Double loss, Double validationLoss, String lastCheckpoint) {
    TrainingStatus(String dataset, String vocabularyHash, long steps, long tokens,
                   double loss, double validationLoss, String lastCheckpoint) {
        this(dataset, vocabularyHash, steps, tokens, Double.isNaN(loss) ? null : loss,
                Double.isNaN(validationLoss) ? null : validationLoss, lastCheckpoint);
    }
}
