package dev.llmsuite.records;

import java.util.Map;

/**
 * "A checkpoint was evaluated", on {@link Topics#EVALUATIONS} as JSON, keyed by model: what the evaluator measured on
 * held-out data the checkpoint did not train on. Schema: docs/schemas/model-evaluations.v1.schema.json.
 *
 * @param model        the served model's name (as in the checkpoint's announcement)
 * @param step         the checkpoint's step
 * @param path         the checkpoint directory, as announced
 * @param dataset      what it was evaluated on: the job's validation batches ({@code DATASET/validation}) or a test split
 * @param metrics      {@code val_loss}, {@code val_perplexity}, {@code tokens}, and for fine-tuned models what the job
 *                     measured on its test split ({@code test_accuracy}, {@code judge_score}); empty when nothing held
 *                     out was there to evaluate on, with {@code note} saying so
 * @param announcedAtMillis when the checkpoint was announced, so announcement-to-evaluation time is visible
 */
public record ModelEvaluation(String model, String job, long step, String path, String dataset, Map<String, Double> metrics,
                              String note, long announcedAtMillis, long evaluatedAtMillis) {

    /** The metric promotion policies compare. */
    public static final String PERPLEXITY = "val_perplexity";

    public Double perplexity() {
        return metrics == null ? null : metrics.get(PERPLEXITY);
    }
}
