package dev.llmsuite.services.trainer;

/**
 * {@code GET /v1/jobs/{id}}: where a job is. Numbers are null until measured.
 *
 * @param state       running, completed (its step or epoch limit), stopped (DELETE) or failed
 * @param etaSeconds  at the current tokens/s, until maxSteps (null without a step limit)
 */
public record JobStatus(String id, String dataset, String state, long step, long epoch, long tokens, Double loss,
                        Double validationLoss, Double perplexity, Double learningRate, Double tokensPerSecond,
                        Double etaSeconds, String sample, String lastCheckpoint, String error, JobSpec spec) {
}
