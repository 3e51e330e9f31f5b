package dev.llmsuite.records;

import java.util.Map;

/**
 * "Serve this checkpoint under the model's name", on {@link Topics#PROMOTIONS} as JSON, keyed by model (compacted:
 * the topic's newest record per model is what is promoted). It carries the checkpoint's path and file hashes, so
 * inference-service verifies a promotion exactly as it verifies an announcement, whoever wrote it. A rollback is the
 * promotion of an older step. Schema: docs/schemas/model-promotions.v1.schema.json.
 *
 * @param by      who decided: the model's policy, or a person through the trainer's API
 * @param reason  why, in words ("val_perplexity 812.4 improves on step 20's 1033.0 by 21.4% (policy: >= 1.0%)")
 * @param metrics the promoted checkpoint's evaluation, when it has one
 */
public record ModelPromotion(String model, long step, String path, Map<String, String> hashes, By by, String reason,
                             Map<String, Double> metrics, long promotedAtMillis) {

    public enum By { POLICY, MANUAL }

    /** The announcement this promotion stands for, for the code that verifies and loads announcements. */
    public CheckpointAnnouncement asAnnouncement() {
        return new CheckpointAnnouncement(model, model, step, path, hashes, metrics, promotedAtMillis);
    }
}
