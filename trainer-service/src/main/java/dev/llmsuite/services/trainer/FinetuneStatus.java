package dev.llmsuite.services.trainer;

import dev.llmsuite.finetune.FinetuneResult;

/**
 * A fine-tuning job as GET /v1/finetune-jobs/{id} shows it.
 *
 * @param state    from waiting (for its dataset's closing record) to completed or failed ({@link FinetuneState})
 * @param progress the newest progress line (step, loss, accuracy, elapsed, ETA)
 * @param result   completed: accuracies, confusion matrix and trainable parameters, or the losses
 * @param model    completed: the name inference-service serves the result under (the job id)
 */
public record FinetuneStatus(String id, FinetuneState state, int examples, String progress, FinetuneResult result,
                             String checkpoint, String adapter, String model, String error, FinetuneSpec spec) {}
