package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.service.KafkaMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code train.batches} and {@code val.batches} in: each dataset trains its own GPT with the engine
 * (off the event loop), per-step metrics go to {@code training.metrics}, and every few steps a
 * checkpoint in the Hugging Face layout is written and announced on {@code model.checkpoints}.
 */
@ApplicationScoped
public class BatchTrainer {
    private static final Logger LOG = Logger.getLogger(BatchTrainer.class);
    /** Written beside config.json and model.safetensors: what the model was trained on. */
    static final String TRAINER_FILE = "trainer.json";

    private final MutinyEmitter<String> metrics;
    private final MutinyEmitter<String> checkpoints;
    private final TrainerConfig config;
    private final EngineBackend backend;
    private final ObjectMapper json;
    private final Map<String, DatasetTraining> runs = new ConcurrentHashMap<>();
    private final Counter trainBatches;
    private final Counter valBatches;
    private final Counter tokens;
    private final Counter rejected;
    private final Timer stepTime;

    BatchTrainer(@Channel("training-metrics") MutinyEmitter<String> metrics,
                 @Channel("checkpoints") MutinyEmitter<String> checkpoints,
                 TrainerConfig config, EngineBackend backend, ObjectMapper json, MeterRegistry registry) {
        this.metrics = metrics;
        this.checkpoints = checkpoints;
        this.config = config;
        this.backend = backend;
        this.json = json;
        this.trainBatches = registry.counter("llm.trainer.batches", "split", "train");
        this.valBatches = registry.counter("llm.trainer.batches", "split", "validation");
        this.tokens = registry.counter("llm.trainer.tokens");
        this.rejected = registry.counter("llm.trainer.dead_letter");
        this.stepTime = registry.timer("llm.trainer.step");
    }

    /** A trained step's result, carried to the metrics and checkpoint stages. */
    private record Step(DatasetTraining run, long step, long tokensSeen, double loss) {}

    @Incoming("train-batches")
    public Uni<Void> onTrainBatch(Message<byte[]> message) {
        return Uni.createFrom().item(() -> {
                    TrainingBatch batch = TrainingBatch.decode(message.getPayload());
                    DatasetTraining run = runFor(batch);
                    run.requireFits(batch);
                    double loss = stepTime.record(() -> run.train(batch));
                    trainBatches.increment();
                    tokens.increment(batch.tokens());
                    synchronized (run) {
                        return new Step(run, run.steps, run.tokens, loss);
                    }
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToUni(s -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("dataset", s.run.dataset);
                    m.put("step", s.step);
                    m.put("tokens", s.tokensSeen);
                    m.put("loss", s.loss);
                    Uni<Void> sent = metrics.sendMessage(KafkaMessages.keyed(s.run.dataset, toJson(m)));
                    if (s.step % config.checkpointEveryBatches() == 0) sent = sent.chain(() -> checkpoint(s.run, s.step));
                    return sent;
                })
                .chain(() -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> reject(message, e));
    }

    @Incoming("val-batches")
    public Uni<Void> onValidationBatch(Message<byte[]> message) {
        return Uni.createFrom().item(() -> {
                    TrainingBatch batch = TrainingBatch.decode(message.getPayload());
                    DatasetTraining run = runFor(batch);
                    run.requireFits(batch);
                    run.evaluate(batch);
                    valBatches.increment();
                    return batch;
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(() -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> reject(message, e));
    }

    Optional<TrainingStatus> status(String dataset) {
        return Optional.ofNullable(runs.get(dataset)).map(DatasetTraining::status);
    }

    Collection<TrainingStatus> all() {
        return runs.values().stream().map(DatasetTraining::status).toList();
    }

    private DatasetTraining runFor(TrainingBatch batch) {
        DatasetTraining run = runs.computeIfAbsent(batch.datasetId(),
                d -> new DatasetTraining(d, batch.vocabularyHash(), backend.get(), config.model()));
        if (!run.vocabularyHash.equals(batch.vocabularyHash())) {
            throw new IllegalArgumentException("batch vocabulary hash " + batch.vocabularyHash()
                    + " does not match dataset " + batch.datasetId() + " (" + run.vocabularyHash + ")");
        }
        return run;
    }

    private final java.util.concurrent.ScheduledExecutorService idleWatch =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("idle-checkpoints").unstarted(r));

    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        idleWatch.scheduleWithFixedDelay(this::checkpointIdleRuns, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Runs that trained since their last checkpoint and then went quiet get one now. */
    private void checkpointIdleRuns() {
        long idle = config.idleCheckpointAfter().toNanos();
        checkpointUnsaved(run -> System.nanoTime() - run.lastBatchNanos >= idle, Duration.ofMinutes(5), "idle");
    }

    /** SIGTERM: every run with unsaved steps is written before the service stops (announced if Kafka still takes it). */
    void onStop(@jakarta.enterprise.event.Observes io.quarkus.runtime.ShutdownEvent event) {
        idleWatch.shutdownNow();
        checkpointUnsaved(run -> true, Duration.ofSeconds(30), "shutdown");
    }

    /** Checkpoints every run that has steps after its last checkpoint and passes the test. */
    private void checkpointUnsaved(java.util.function.Predicate<DatasetTraining> when, Duration timeout, String why) {
        for (DatasetTraining run : runs.values()) {
            long steps;
            synchronized (run) {
                steps = run.steps;
                if (steps <= run.checkpointedStep || !when.test(run)) continue;
            }
            try {
                checkpoint(run, steps).await().atMost(timeout);
            } catch (RuntimeException e) {
                LOG.warnf("%s checkpoint of %s failed: %s", why, run.dataset, e.getMessage());
            }
        }
    }

    private Uni<Void> checkpoint(DatasetTraining run, long step) {
        return Uni.createFrom().item(() -> {
                    Path dir = config.checkpointDir().resolve(run.dataset).resolve("step-" + step).toAbsolutePath();
                    TrainingStatus s = run.status();
                    Map<String, String> hashes;
                    try {
                        synchronized (run) {
                            if (run.checkpointedStep >= step) return null; // written already (idle, then periodic)
                            hashes = CheckpointWriter.write(dir, tmp -> {
                                HfCheckpoint.save(run.model, tmp);
                                Map<String, Object> meta = new LinkedHashMap<>();
                                meta.put("dataset", run.dataset);
                                meta.put("step", step);
                                meta.put("tokens", s.tokens());
                                meta.put("vocabularyHash", run.vocabularyHash);
                                Files.write(tmp.resolve(TRAINER_FILE), json.writeValueAsBytes(meta));
                            });
                            run.lastCheckpoint = dir.toString();
                            run.checkpointedStep = step;
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException("writing checkpoint " + dir, e);
                    }
                    Map<String, Double> m = new LinkedHashMap<>();
                    if (s.loss() != null) m.put("loss", s.loss());
                    if (s.validationLoss() != null) m.put("val_loss", s.validationLoss());
                    LOG.infof("checkpoint %s step %d loss %s -> %s", run.dataset, step, s.loss(), dir);
                    return new CheckpointAnnouncement(run.dataset, run.dataset, step, dir.toString(), hashes, m,
                            System.currentTimeMillis());
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(a -> a == null ? Uni.createFrom().voidItem()
                        : checkpoints.sendMessage(KafkaMessages.keyed(run.dataset, toJson(a))));
    }

    private Uni<Void> reject(Message<byte[]> message, Throwable e) {
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
