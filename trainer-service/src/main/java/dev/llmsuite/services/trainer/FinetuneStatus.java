package dev.llmsuite.services.trainer;

import java.util.Map;

/**
 * A fine-tuning job as GET /v1/finetune-jobs/{id} shows it.
 *
 * @param state    waiting (for its dataset's closing record), queued, running, completed or failed
 * @param progress the newest progress line (step, loss, accuracy, elapsed, ETA)
 * @param result   completed: accuracies, confusion matrix and trainable parameters, or the losses
 * @param model    completed: the name inference-service serves the result under (the job id)
 */
public record FinetuneStatus(String id, String state, int examples, String progress, Map<String, Object> result,
                             String checkpoint, String adapter, String model, String error, FinetuneSpec spec) {}
