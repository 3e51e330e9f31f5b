package dev.llmsuite.records;

import java.util.Map;

/**
 * "A checkpoint exists", on {@link Topics#CHECKPOINTS}, as JSON. Low volume, read by people and by
 * inference-service, so it is a plain record that any JSON mapper writes.
 *
 * @param model   the served model's name (inference-service swaps in new checkpoints of it)
 * @param path    the checkpoint directory, as the trainer sees it (a shared volume on Kubernetes)
 * @param hashes  content hash of each file in the directory (SHA-256, hex)
 * @param metrics loss, validation loss and the like at this step
 */
public record CheckpointAnnouncement(String jobId, String model, long step, String path,
                                     Map<String, String> hashes, Map<String, Double> metrics, long createdAtMillis) {

    /** The content hash in {@link #hashes}: SHA-256, lower-case hex. Writers and verifiers both use this. */
    public static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
