package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a checkpoint directory atomically (a temporary directory renamed into place), so a reader
 * never sees half a checkpoint, and returns the SHA-256 of each file for the announcement.
 */
final class CheckpointWriter {
    private CheckpointWriter() {}

    static Map<String, String> write(Path dir, Map<String, Object> files, ObjectMapper json) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp-");
        Map<String, String> hashes = new LinkedHashMap<>();
        for (var e : files.entrySet()) {
            byte[] bytes = json.writeValueAsBytes(e.getValue());
            Files.write(tmp.resolve(e.getKey()), bytes);
            hashes.put(e.getKey(), sha256(bytes));
        }
        if (Files.exists(dir)) {
            // The same step written again (a restarted run): the newer write wins, whole.
            Path old = Files.createTempDirectory(parent, "." + dir.getFileName() + ".old-");
            Files.delete(old);
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } else {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        }
        return hashes;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
