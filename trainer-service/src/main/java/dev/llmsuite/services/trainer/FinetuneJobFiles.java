package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Posted fine-tuning jobs as files, {@code <checkpoint-dir>/.finetune-jobs/<id>.json}, so that a restarted
 * trainer still knows every job (the dot: no job id may start with one, so no job's directory is this).
 */
final class FinetuneJobFiles {
    private static final Logger LOG = Logger.getLogger(FinetuneJobFiles.class);
    static final String DIRECTORY = ".finetune-jobs";

    /** A posted job: its spec and resolved base; state and error only once it failed (a completed one has its checkpoint). */
    record StoredJob(FinetuneSpec spec, String base, String state, int examples, String error) {}

    private final Path dir;
    private final ObjectMapper json;

    FinetuneJobFiles(Path checkpointDir, ObjectMapper json) {
        this.dir = checkpointDir.resolve(DIRECTORY);
        this.json = json;
    }

    /** Writes (or replaces) the job's file atomically. */
    void write(StoredJob job) throws IOException {
        CheckpointWriter.writeFile(dir.resolve(job.spec().id() + ".json"), json.writeValueAsBytes(job));
    }

    /** Every readable job file, by id; an unreadable one is skipped with a warning. */
    List<StoredJob> readAll() {
        List<StoredJob> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                try {
                    StoredJob job = json.readValue(f.toFile(), StoredJob.class);
                    // Any file here may be a stray or a hand-edited one: without its spec and base it is not a job.
                    if (job == null || job.spec() == null || job.base() == null
                            || !f.getFileName().toString().equals(JobDirectories.requireJobId("id", job.spec().id()) + ".json")) {
                        throw new IllegalArgumentException("not a stored job (a spec, its id as the file name, and a base are needed)");
                    }
                    out.add(job);
                } catch (IOException | RuntimeException e) {
                    LOG.warnf("fine-tuning job file %s is not readable, skipped: %s", f, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", dir, e.getMessage());
        }
        return out;
    }

    Path directory() { return dir; }
}
