package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.OptimizerState;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.ValidationBatches;
import dev.llmsuite.tokenizer.BpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.LongPredicate;
import org.jboss.logging.Logger;

/**
 * A job's checkpoint directory, {@code <checkpoint-dir>/<job>/step-N/}: the model in the Hugging Face
 * layout (config.json, model.safetensors), AdamW's state (optimizer.safetensors) and trainer.json (the
 * resolved job spec, step, epoch, tokens, vocabulary hash, state, and the batch topic's positions).
 * Together they resume a job exactly where the checkpoint left it. A posted job that has no checkpoint yet
 * has its spec in {@code <job>/job.json}.
 */
final class JobCheckpoints {
    private static final Logger LOG = Logger.getLogger(JobCheckpoints.class);
    static final String TRAINER_FILE = "trainer.json";
    /** A posted job's spec, in its folder until its first checkpoint. */
    static final String POSTED_FILE = "job.json";

    private JobCheckpoints() {}

    /** Writes the job's checkpoint for its current step into dir (the caller holds the job's lock). */
    static Map<String, String> write(TrainingJob job, Path dir, ObjectMapper json, String kafkaClusterId) throws IOException {
        return CheckpointWriter.write(dir, tmp -> {
            HfCheckpoint.save(job.model, tmp);
            OptimizerState.save(job.optimizer, job.model, tmp);
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("job", job.spec.id());
            meta.put("dataset", job.spec.dataset());
            meta.put("step", job.step);
            meta.put("epoch", job.epoch);
            meta.put("tokens", job.tokens);
            meta.put("vocabularyHash", job.vocabularyHash);
            meta.put("state", job.state.name());
            meta.put("loss", Double.isNaN(job.loss) ? null : job.loss);
            meta.put("positions", new TreeMap<>(job.positions));
            meta.put("lastBatch", List.of(job.lastTrainBatch[0], job.lastTrainBatch[1]));
            meta.put("kafkaClusterId", kafkaClusterId);
            meta.put("spec", job.spec);
            Files.write(tmp.resolve(TRAINER_FILE), json.writeValueAsBytes(meta));
            ValidationBatches.write(tmp.resolve(ValidationBatches.FILE), job.heldOut());
        });
    }

    /** Deletes all but the newest {@code keep} step directories of a job (never the one just written). */
    static void prune(Path jobDir, int keep) {
        prune(jobDir, keep, Long.MAX_VALUE, step -> false);
    }

    /**
     * Deletes all but the newest {@code keep} step directories up to {@code committedStep}: the committed step
     * survives, and steps after it (written but not committed: a replica that lost the job wrote them, or their
     * commit failed) are left for the owner's next write of that step to replace. A promoted step is never deleted:
     * inference-service serves it under the model's name and loads it again when it restarts.
     */
    static void prune(Path jobDir, int keep, long committedStep, LongPredicate promoted) {
        try {
            for (Path dir : HfCheckpoint.stepsNewestFirst(jobDir).stream().filter(d -> stepOf(d) <= committedStep)
                    .skip(Math.max(1, keep)).filter(d -> !promoted.test(stepOf(d))).toList()) {
                CheckpointWriter.deleteTree(dir);
            }
        } catch (IOException e) {
            LOG.warnf("pruning old checkpoints in %s: %s", jobDir, e.getMessage());
        }
    }

    private static long stepOf(Path stepDir) {
        return Long.parseLong(stepDir.getFileName().toString().substring("step-".length()));
    }

    /** Whether the job folder holds a step directory. */
    static boolean hasSteps(Path jobDir) {
        try {
            return !HfCheckpoint.stepsNewestFirst(jobDir).isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /** A posted job before its first checkpoint: its spec, so whichever replica comes to own the dataset starts it. */
    static void writePosted(JobSpec spec, Path jobDir, ObjectMapper json) throws IOException {
        CheckpointWriter.writeFile(jobDir.resolve(POSTED_FILE), json.writeValueAsBytes(spec));
    }

    /** The job's spec, from its newest readable checkpoint or, before the first one, from its posted spec. */
    static Optional<JobSpec> spec(Path jobDir, ObjectMapper json) {
        if (!Files.isDirectory(jobDir)) return Optional.empty();
        try {
            for (Path dir : HfCheckpoint.stepsNewestFirst(jobDir)) {
                try {
                    JsonNode meta = json.readTree(dir.resolve(TRAINER_FILE).toFile());
                    if (meta.has("spec")) return Optional.of(json.treeToValue(meta.get("spec"), JobSpec.class));
                } catch (IOException | RuntimeException e) {
                    // unreadable: the one before it
                }
            }
            Path posted = jobDir.resolve(POSTED_FILE);
            return Files.isRegularFile(posted) ? Optional.of(json.readValue(posted.toFile(), JobSpec.class)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot read job %s: %s", jobDir.getFileName(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The job of jobDir from the checkpoint of {@code committedStep} (the one the consumer group's committed offsets
     * name), or, when none is named, from its newest readable step. Empty when nothing there can be resumed.
     */
    static Optional<TrainingJob> restore(Path jobDir, Long committedStep, ComputeBackend backend, ObjectMapper json,
                                         Function<String, BpeTokenizer> tokenizerFor, String kafkaClusterId) {
        try {
            List<Path> steps = HfCheckpoint.stepsNewestFirst(jobDir);
            if (committedStep != null) {
                List<Path> named = steps.stream().filter(d -> stepOf(d) == committedStep).toList();
                if (named.isEmpty()) {
                    LOG.errorf("job %s: the committed offsets name step-%d, which is not there; resuming from the newest step"
                            + " before it, so the batches between are not trained", jobDir.getFileName(), committedStep);
                }
                steps = steps.stream().filter(d -> stepOf(d) <= committedStep).toList();
            }
            return restore(jobDir, steps, backend, json, tokenizerFor, kafkaClusterId);
        } catch (IOException e) {
            LOG.warnf("cannot list %s: %s", jobDir, e.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<TrainingJob> restore(Path jobDir, List<Path> stepsNewestFirst, ComputeBackend backend, ObjectMapper json,
                                                 Function<String, BpeTokenizer> tokenizerFor, String kafkaClusterId) {
        for (Path dir : stepsNewestFirst) {
            if (!Files.isRegularFile(dir.resolve(TRAINER_FILE))) continue;
            try {
                JsonNode meta = json.readTree(dir.resolve(TRAINER_FILE).toFile());
                if (!meta.has("spec") || !Files.isRegularFile(dir.resolve(OptimizerState.FILE))) return Optional.empty(); // not resumable
                String recorded = meta.path("kafkaClusterId").asText(null);
                if (kafkaClusterId != null && recorded != null && !recorded.equals(kafkaClusterId)) {
                    LOG.infof("job %s: its checkpoints record positions on Kafka cluster %s, not this one (%s); it is not resumed",
                            jobDir.getFileName(), recorded, kafkaClusterId);
                    return Optional.empty();
                }
                JobSpec spec = json.treeToValue(meta.get("spec"), JobSpec.class);
                if (!jobDir.getFileName().toString().equals(spec.id())) { // say, an older version's "ID.old-TIME" folder
                    LOG.infof("%s holds job %s's checkpoints, not a job of its own name; it is not resumed", jobDir, spec.id());
                    return Optional.empty();
                }
                GptModel model = HfCheckpoint.load(backend, dir);
                String vocab = meta.get("vocabularyHash").asText();
                TrainingJob job = new TrainingJob(spec, vocab, model, tokenizerFor.apply(vocab));
                OptimizerState.restore(job.optimizer, model, dir);
                job.step = meta.get("step").asLong();
                job.epoch = meta.path("epoch").asLong();
                job.tokens = meta.get("tokens").asLong();
                job.state = TrainingJob.State.valueOf(meta.path("state").asText("RUNNING"));
                if (meta.path("loss").isNumber()) job.loss = meta.get("loss").asDouble();
                Map<Integer, Long> positions = new HashMap<>();
                meta.path("positions").fields().forEachRemaining(e -> positions.put(Integer.parseInt(e.getKey()), e.getValue().asLong()));
                job.positions.putAll(positions);
                if (meta.path("lastBatch").size() == 2) { // absent in checkpoints written before it was recorded
                    job.lastTrainBatch = new long[] {meta.get("lastBatch").get(0).asLong(), meta.get("lastBatch").get(1).asLong()};
                }
                job.checkpointedPositions = Map.copyOf(positions);
                job.checkpointedStep = job.step;
                job.committedStep = job.step;
                job.lastCheckpoint = dir.toString();
                job.releaseIfDone(); // a job that had finished keeps only its status
                LOG.infof("job %s resumed from %s: step %d, batch positions %s", spec.id(), dir, job.step, positions);
                return Optional.of(job);
            } catch (IOException | RuntimeException e) {
                LOG.warnf("checkpoint %s cannot be resumed (%s); trying the one before it", dir, e.getMessage());
            }
        }
        return Optional.empty();
    }
}
