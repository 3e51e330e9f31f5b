package dev.llmsuite.records;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
        MessageDigest md = sha256();
        return HexFormat.of().formatHex(md.digest(bytes));
    }

    /**
     * The same hash of a file, read in 1 MiB pieces: a checkpoint's files can be larger than any array
     * (GPT-2 medium's optimizer state is 2.8 GB) and must not need their size in heap to be announced.
     */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
