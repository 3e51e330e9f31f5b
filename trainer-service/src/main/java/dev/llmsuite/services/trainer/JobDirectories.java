package dev.llmsuite.services.trainer;

import dev.llmsuite.records.Names;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The checkpoint directory's layout, and the one place that turns a job id into a folder:
 * <pre>
 * checkpoint-dir/
 *   ID/step-N/           a pre-training or fine-tuning job's checkpoints (ID: {@link Names}' rule)
 *   adapters/ID/         LoRA adapters of fine-tuning jobs (reserved: no job may be called "adapters")
 *   .finetune-jobs/      posted fine-tuning jobs (FinetuneJobFiles)
 *   .set-aside/ID-TIME/  checkpoints of an earlier job of the same id, never resumed, never pruned
 * </pre>
 * Ids start with a letter or digit and hold no '/', so no id reaches a dot folder, the parent or
 * another job's folder; the one reserved plain name is refused. Pruning and setting aside touch only
 * the job's own folder.
 */
final class JobDirectories {
    private static final Logger LOG = Logger.getLogger(JobDirectories.class);
    static final String ADAPTERS = "adapters";
    static final String SET_ASIDE = ".set-aside";
    private static final Set<String> RESERVED = Set.of(ADAPTERS);

    private final Path root;

    JobDirectories(Path checkpointDir) {
        this.root = checkpointDir.toAbsolutePath().normalize();
    }

    /** The id, or IllegalArgumentException saying why no job can have it. */
    static String requireJobId(String what, String id) {
        Names.require(what, id);
        if (RESERVED.contains(id)) throw new IllegalArgumentException("'" + what + "' cannot be '" + id + "': that folder is the service's own");
        return id;
    }

    Path root() { return root; }

    /** The job's folder, {@code checkpoint-dir/ID}. */
    Path of(String id) {
        Path dir = root.resolve(requireJobId("id", id));
        if (!root.equals(dir.getParent())) throw new IllegalStateException("job folder " + id + " escapes the checkpoint directory");
        return dir;
    }

    Path adapter(String id) {
        return root.resolve(ADAPTERS).resolve(requireJobId("id", id));
    }

    /** Every folder that can be a job's, in name order (dot folders, adapters and stray names left alone). */
    List<Path> jobFolders() {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).filter(d -> {
                String name = d.getFileName().toString();
                return Names.valid(name) && !RESERVED.contains(name);
            }).sorted().toList();
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", root, e.getMessage());
            return List.of();
        }
    }

    /**
     * A new job whose folder holds checkpoints it will not resume (another cluster's, or an older job's of
     * the same id): they are moved to {@code .set-aside/ID-TIME} rather than mixed with its own.
     */
    void setAside(String id) {
        Path dir = of(id);
        if (!Files.isDirectory(dir)) return;
        Path aside = root.resolve(SET_ASIDE).resolve(id + "-" + System.currentTimeMillis());
        try {
            Files.createDirectories(aside.getParent());
            Files.move(dir, aside);
            LOG.infof("checkpoints of an earlier job %s moved to %s", id, aside);
        } catch (IOException e) {
            LOG.warnf("cannot move %s aside: %s", dir, e.getMessage());
        }
    }
}
