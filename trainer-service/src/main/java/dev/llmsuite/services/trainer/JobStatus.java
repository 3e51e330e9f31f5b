package dev.llmsuite.services.trainer;

/**
 * {@code GET /v1/jobs/{id}}: where a job is. Numbers are null until measured.
 *
 * @param state       running, completed (its step or epoch limit), stopped (DELETE) or failed
 * @param etaSeconds  at the current tokens/s, until maxSteps (null without a step limit)
 * @param checkpointError why the newest checkpoint could not be written (say, a full volume), until one is; training
 *                    goes on and every later checkpoint retries
 * @param resident    the model and optimizer are in memory; false once a finished job's final checkpoint
 *                    holds everything and their memory went back to the compute backend
 */
public record JobStatus(String id, String dataset, TrainingJob.State state, long step, long epoch, long tokens, Double loss,
                        Double validationLoss, Double perplexity, Double learningRate, Double tokensPerSecond,
                        Double etaSeconds, String sample, String lastCheckpoint, String checkpointError, String error, boolean resident,
                        JobSpec spec) {
}
