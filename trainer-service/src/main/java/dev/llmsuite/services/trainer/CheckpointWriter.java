package dev.llmsuite.services.trainer;

import dev.llmsuite.records.CheckpointAnnouncement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a checkpoint directory atomically: the files go into a temporary directory beside it, which
 * is renamed into place, so a reader never sees half a checkpoint. Returns each file's SHA-256.
 */
final class CheckpointWriter {
    private CheckpointWriter() {}

    interface Contents {
        void writeInto(Path dir) throws IOException;
    }

    static Map<String, String> write(Path dir, Contents contents) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp-");
        try {
            contents.writeInto(tmp);
            Map<String, String> hashes = new LinkedHashMap<>();
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path f : files.sorted().toList()) hashes.put(f.getFileName().toString(), CheckpointAnnouncement.sha256(f));
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
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** Writes one file atomically (a temporary file beside it, renamed into place), creating its folder. */
    static void writeFile(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName() + ".tmp-", "");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Deletes a directory and everything under it (nothing when it does not exist). */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

}
