package dev.llmsuite.engine.io;

import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.ValidationBatches;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What an announcement on model.checkpoints (or a promotion on model.promotions) must prove before its directory is
 * read: it lies under the reader's checkpoint root (after symbolic links are followed), and every file the readers
 * read is announced with a hash that matches. Shapes are HfCheckpoint.load's to check, before it allocates. Used by
 * inference-service before serving and by trainer-service's evaluator before evaluating: anyone who can write to
 * the topic can send one.
 */
public final class AnnouncedCheckpoints {
    /** Always read, so always hashed. */
    private static final List<String> REQUIRED = List.of(HfCheckpoint.CONFIG, HfCheckpoint.WEIGHTS);
    /**
     * Read when present, so hashed when present (optimizer.safetensors is never read here): the trainer's files, and a
     * Llama 3 / Qwen3 model's tokens (ModelTokens: its tokenizer, end ids, BOS and chat template).
     */
    private static final List<String> OPTIONAL = List.of("trainer.json", ClassifierFiles.FILE, ValidationBatches.FILE,
            "tokenizer.json", "tokenizer_config.json", "generation_config.json", "chat_template.jinja");

    private final Path root;
    /** The root's setting, named in refusals (llm.inference.checkpoint-dir, llm.trainer.checkpoint-dir). */
    private final String setting;

    public AnnouncedCheckpoints(Path checkpointDir, String setting) {
        this.root = checkpointDir.toAbsolutePath().normalize();
        this.setting = setting;
    }

    /**
     * A verified checkpoint: its directory (links followed) and how /v1/models shows it, relative to the
     * checkpoint root, never the host's absolute path.
     */
    public record Verified(Path dir, String shown) {}

    /** The announced directory, once it is confined and its files match their hashes; IOException says why not. */
    public Verified verified(CheckpointAnnouncement a) throws IOException {
        if (a.path() == null || a.hashes() == null) throw new IOException("an announcement needs a path and the hashes of its files");
        Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (IOException e) {
            throw new IOException(setting + " " + root + " does not exist; no announcement can be loaded");
        }
        Path dir;
        try {
            dir = root.resolve(a.path()).toRealPath();
        } catch (IOException | RuntimeException e) {
            throw new IOException("no checkpoint directory " + a.path());
        }
        if (!dir.startsWith(realRoot) || dir.equals(realRoot)) {
            throw new IOException(a.path() + " is outside " + setting + " (" + root + ")");
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
