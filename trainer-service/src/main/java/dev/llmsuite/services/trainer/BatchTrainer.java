package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.service.KafkaMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code train.batches} and {@code val.batches} in; per-step metrics on {@code training.metrics} and,
 * every few steps, a checkpoint announced on {@code model.checkpoints}.
 */
@ApplicationScoped
public class BatchTrainer {
    private static final Logger LOG = Logger.getLogger(BatchTrainer.class);

    private final MutinyEmitter<String> metrics;
    private final MutinyEmitter<String> checkpoints;
    private final TrainerConfig config;
    private final ObjectMapper json;
    private final Map<String, DatasetTraining> runs = new ConcurrentHashMap<>();
    private final Counter trainBatches;
    private final Counter valBatches;
    private final Counter tokens;
    private final Counter rejected;

    BatchTrainer(@Channel("training-metrics") MutinyEmitter<String> metrics,
                 @Channel("checkpoints") MutinyEmitter<String> checkpoints,
                 TrainerConfig config, ObjectMapper json, MeterRegistry registry) {
        this.metrics = metrics;
        this.checkpoints = checkpoints;
        this.config = config;
        this.json = json;
        this.trainBatches = registry.counter("llm.trainer.batches", "split", "train");
        this.valBatches = registry.counter("llm.trainer.batches", "split", "validation");
        this.tokens = registry.counter("llm.trainer.tokens");
        this.rejected = registry.counter("llm.trainer.dead_letter");
    }

    @Incoming("train-batches")
    public Uni<Void> onTrainBatch(Message<byte[]> message) {
        TrainingBatch batch;
        DatasetTraining run;
        try {
            batch = TrainingBatch.decode(message.getPayload());
            run = runFor(batch);
        } catch (RuntimeException e) {
            return reject(message, e);
        }
        double loss = run.model.loss(batch.targets());
        run.model.learn(batch.targets());
        long step;
        synchronized (run) {
            step = ++run.steps;
            run.tokens += batch.tokens();
            run.lastLoss = loss;
        }
        trainBatches.increment();
        tokens.increment(batch.tokens());
        Uni<Void> sent = metrics.sendMessage(KafkaMessages.keyed(run.dataset, toJson(Map.of(
                "dataset", run.dataset, "step", step, "tokens", run.tokens, "loss", loss))));
        if (step % config.checkpointEveryBatches() == 0) sent = sent.chain(() -> checkpoint(run, step));
        return sent.chain(() -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> Uni.createFrom().completionStage(message.nack(e)));
    }

    @Incoming("val-batches")
    public Uni<Void> onValidationBatch(Message<byte[]> message) {
        try {
            TrainingBatch batch = TrainingBatch.decode(message.getPayload());
            DatasetTraining run = runFor(batch);
            double loss = run.model.loss(batch.targets());
            synchronized (run) {
                run.lastValidationLoss = loss;
            }
            valBatches.increment();
            return Uni.createFrom().completionStage(message.ack());
        } catch (RuntimeException e) {
            return reject(message, e);
        }
    }

    Optional<TrainingStatus> status(String dataset) {
        return Optional.ofNullable(runs.get(dataset)).map(r -> {
            synchronized (r) {
                return r.status();
            }
        });
    }

    Collection<TrainingStatus> all() {
        return runs.values().stream().map(r -> {
            synchronized (r) {
                return r.status();
            }
        }).toList();
    }

    private DatasetTraining runFor(TrainingBatch batch) {
        DatasetTraining run = runs.computeIfAbsent(batch.datasetId(),
                d -> new DatasetTraining(d, batch.vocabularyHash(), config.vocabSize()));
        if (!run.vocabularyHash.equals(batch.vocabularyHash())) {
            throw new IllegalArgumentException("batch vocabulary hash " + batch.vocabularyHash()
                    + " does not match dataset " + batch.datasetId() + " (" + run.vocabularyHash + ")");
        }
        return run;
    }

    private Uni<Void> checkpoint(DatasetTraining run, long step) {
        Path dir = config.checkpointDir().resolve(run.dataset).resolve("step-" + step).toAbsolutePath();
        Map<String, String> hashes;
        double loss;
        double valLoss;
        synchronized (run) {
            loss = run.lastLoss;
            valLoss = run.lastValidationLoss;
        }
        try {
            hashes = CheckpointWriter.write(dir, Map.of(
                    "unigram.json", Map.of("vocabularyHash", run.vocabularyHash, "tokens", run.model.tokensSeen(),
                            "counts", run.model.countsSnapshot()),
                    "trainer.json", Map.of("dataset", run.dataset, "step", step)), json);
        } catch (IOException e) {
            return Uni.createFrom().failure(new UncheckedIOException("writing checkpoint " + dir, e));
        }
        synchronized (run) {
            run.lastCheckpoint = dir.toString();
        }
        Map<String, Double> m = Double.isNaN(valLoss) ? Map.of("loss", loss) : Map.of("loss", loss, "val_loss", valLoss);
        var announcement = new CheckpointAnnouncement(run.dataset, run.dataset, step, dir.toString(), hashes, m,
                System.currentTimeMillis());
        LOG.infof("checkpoint %s step %d loss %.4f -> %s", run.dataset, step, loss, dir);
        return checkpoints.sendMessage(KafkaMessages.keyed(run.dataset, toJson(announcement)));
    }

    private Uni<Void> reject(Message<byte[]> message, RuntimeException e) {
        rejected.increment();
        LOG.warnf("batch rejected to the dead-letter topic: %s", e.getMessage());
        return Uni.createFrom().completionStage(message.nack(e));
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
