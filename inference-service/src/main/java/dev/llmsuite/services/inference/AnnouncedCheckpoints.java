package dev.llmsuite.services.inference;

import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.records.CheckpointAnnouncement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What an announcement on model.checkpoints must prove before its directory is read: it lies under
 * llm.inference.checkpoint-dir (after symbolic links are followed), and every file serving reads is
 * announced with a hash that matches. Shapes are HfCheckpoint.load's to check, before it allocates.
 */
final class AnnouncedCheckpoints {
    /** Always read, so always hashed. */
    private static final List<String> REQUIRED = List.of(HfCheckpoint.CONFIG, HfCheckpoint.WEIGHTS);
    /** Read when present, so hashed when present (optimizer.safetensors is never read here). */
    private static final List<String> OPTIONAL = List.of("trainer.json", ClassifierFiles.FILE);

    private final Path root;

    AnnouncedCheckpoints(Path checkpointDir) {
        this.root = checkpointDir.toAbsolutePath().normalize();
    }

    /**
     * A verified checkpoint: its directory (links followed) and how /v1/models shows it, relative to the
     * checkpoint root, never the host's absolute path.
     */
    record Verified(Path dir, String shown) {}

    /** The announced directory, once it is confined and its files match their hashes; IOException says why not. */
    Verified verified(CheckpointAnnouncement a) throws IOException {
        if (a.path() == null || a.hashes() == null) throw new IOException("an announcement needs a path and the hashes of its files");
        Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (IOException e) {
            throw new IOException("llm.inference.checkpoint-dir " + root + " does not exist; no announcement can be loaded");
        }
        Path dir;
        try {
            dir = root.resolve(a.path()).toRealPath();
        } catch (IOException | RuntimeException e) {
            throw new IOException("no checkpoint directory " + a.path());
        }
        if (!dir.startsWith(realRoot) || dir.equals(realRoot)) {
            throw new IOException(a.path() + " is outside llm.inference.checkpoint-dir (" + root + ")");
        }
        for (String file : REQUIRED) requireHash(dir, file, a.hashes(), true);
        for (String file : OPTIONAL) requireHash(dir, file, a.hashes(), false);
        return new Verified(dir, realRoot.relativize(dir).toString());
    }

    private static void requireHash(Path dir, String file, Map<String, String> hashes, boolean required) throws IOException {
        Path f = dir.resolve(file);
        if (!required && !Files.exists(f)) return;
        String announced = hashes.get(file);
        if (announced == null) throw new IOException(f + " is not announced with a hash; it is not read");
        if (!Files.isRegularFile(f)) throw new IOException(f + " is missing");
        String actual = CheckpointAnnouncement.sha256(f);
        if (!actual.equals(announced)) throw new IOException(f + ": hash " + actual + " differs from announced " + announced);
    }
}
