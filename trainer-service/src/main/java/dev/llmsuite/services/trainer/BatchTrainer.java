package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Names;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.service.KafkaMessages;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code train.batches} and {@code val.batches} in, to the job that trains each dataset (off the event
 * loop); per-step metrics go to {@code training.metrics}, checkpoints (model, optimizer, positions) are
 * written and announced on {@code model.checkpoints}.
 *
 * <p>Exactly once: a job remembers, per partition, the offset after the last batch it trained, and a
 * checkpoint stores those positions. Kafka offsets are committed only when a checkpoint is written, and
 * only as far as every job's newest checkpoint reaches; so after a crash the consumer re-reads from a
 * point no later than any checkpoint, each job resumes from its own checkpoint, and the batches it
 * already holds are skipped by offset. No batch is lost and none is trained twice.
 */
@ApplicationScoped
public class BatchTrainer {
    private static final Logger LOG = Logger.getLogger(BatchTrainer.class);
    static final String TRAIN_CHANNEL = "train-batches";

    private final MutinyEmitter<String> metrics;
    private final MutinyEmitter<String> checkpoints;
    private final TrainerConfig config;
    private final EngineBackend backend;
    private final ObjectMapper json;
    private final KafkaClientService kafka;
    private final Map<String, TrainingJob> jobs = new ConcurrentHashMap<>();
    private final Counter trainBatches;
    private final Counter valBatches;
    private final Counter skipped;
    private final Counter unclaimed;
    private final Counter tokens;
    private final Counter rejected;
    private final Counter checkpointFailures;
    private final Timer stepTime;
    private final MeterRegistry registry;
    private final BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
    /** The Kafka cluster whose topic positions the checkpoints record (null if it did not answer). */
    private final String clusterId;
    private final JobDirectories directories;

    BatchTrainer(@Channel("training-metrics") MutinyEmitter<String> metrics,
                 @Channel("checkpoints") MutinyEmitter<String> checkpoints,
                 TrainerConfig config, EngineBackend backend, ObjectMapper json, MeterRegistry registry, KafkaClientService kafka,
                 @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.metrics = metrics;
        this.checkpoints = checkpoints;
        this.config = config;
        this.backend = backend;
        this.json = json;
        this.kafka = kafka;
        this.trainBatches = registry.counter("llm.trainer.batches", "split", "train");
        this.valBatches = registry.counter("llm.trainer.batches", "split", "validation");
        this.skipped = registry.counter("llm.trainer.batches.skipped");
        this.unclaimed = registry.counter("llm.trainer.batches.unclaimed");
        this.tokens = registry.counter("llm.trainer.tokens");
        this.rejected = registry.counter("llm.trainer.dead_letter");
        this.checkpointFailures = registry.counter("llm.trainer.checkpoint.failures");
        this.stepTime = registry.timer("llm.trainer.step");
        this.registry = registry;
        this.clusterId = KafkaCluster.id(bootstrapServers);
        this.directories = new JobDirectories(config.checkpointDir());
        for (TrainingJob job : JobCheckpoints.restoreAll(directories, backend.get(), json, this::sampleTokenizer, clusterId)) {
            register(job);
        }
    }

    private BpeTokenizer sampleTokenizer(String vocabularyHash) {
        return Encodings.gpt2().hash().equals(vocabularyHash) ? gpt2 : null;
    }

    // ---------------------------------------------------------------- jobs

    /** Starts a job (POST /v1/jobs): 409 if the id exists or a running job already trains the dataset. */
    synchronized JobStatus start(JobSpec requested) {
        JobSpec spec;
        try {
            spec = requested.resolve(config);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        if (jobs.containsKey(spec.id())) throw new ProblemException(409, "job '" + spec.id() + "' exists; choose another id");
        running(spec.dataset()).ifPresent(j -> {
            throw new ProblemException(409, "job '" + j.spec.id() + "' is already training dataset '" + spec.dataset() + "'");
        });
        TrainingJob job = new TrainingJob(spec, null, backend.get(), config.model().vocabSize(), null);
        directories.setAside(spec.id());
        register(job);
        LOG.infof("job %s started on dataset %s", spec.id(), spec.dataset());
        return job.status();
    }

    /** DELETE /v1/jobs/{id}: stops the job and writes its final checkpoint. */
    JobStatus stop(String id) {
        TrainingJob job = job(id);
        synchronized (job) {
            if (job.state == TrainingJob.State.RUNNING) job.state = TrainingJob.State.STOPPED;
        }
        if (job.step > job.checkpointedStep) checkpoint(job, job.step).await().atMost(Duration.ofMinutes(5));
        return job.status();
    }

    /** A job joins the service, with its gauges (tagged by job): step, loss, validation loss, learning rate, tokens/s. */
    private void register(TrainingJob job) {
        jobs.put(job.spec.id(), job);
        Tags tags = Tags.of("job", job.spec.id());
        registry.gauge("llm.trainer.job.step", tags, job, j -> j.step);
        registry.gauge("llm.trainer.job.loss", tags, job, j -> j.loss);
        registry.gauge("llm.trainer.job.validation.loss", tags, job, j -> j.validationLoss);
        registry.gauge("llm.trainer.job.learning.rate", tags, job, j -> j.learningRate);
        registry.gauge("llm.trainer.job.tokens.per.second", tags, job, j -> j.tokensPerSecond);
    }

    TrainingJob job(String id) {
        TrainingJob job = jobs.get(id);
        if (job == null) throw ProblemException.notFound("no job '" + id + "'");
        return job;
    }

    Collection<JobStatus> all() {
        return jobs.values().stream().map(TrainingJob::status).toList();
    }

    /** The running job of a dataset, else its newest one. */
    Optional<TrainingJob> forDataset(String dataset) {
        return running(dataset).or(() -> jobs.values().stream().filter(j -> j.spec.dataset().equals(dataset))
                .max(Comparator.comparingLong(j -> j.step)));
    }

    private Optional<TrainingJob> running(String dataset) {
        return jobs.values().stream().filter(j -> j.spec.dataset().equals(dataset) && !j.finished()).findFirst();
    }

    /** The job a batch belongs to: the dataset's running job, or a new default one (auto-jobs), or none. */
    private synchronized TrainingJob claim(TrainingBatch batch) {
        Optional<TrainingJob> job = forDataset(batch.datasetId());
        if (job.isEmpty() && config.autoJobs()) {
            JobSpec spec;
            try {
                spec = JobSpec.forDataset(batch.datasetId()).resolve(config);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("no auto-job for dataset " + Names.quoted(batch.datasetId()) + ": " + e.getMessage()
                        + "; POST /v1/jobs with another id trains it");
            }
            TrainingJob j = new TrainingJob(spec, batch.vocabularyHash(), backend.get(), config.model().vocabSize(),
                    sampleTokenizer(batch.vocabularyHash()));
            directories.setAside(spec.id());
            register(j);
            LOG.infof("job %s started for dataset %s (auto-jobs)", spec.id(), spec.dataset());
            return j;
        }
        TrainingJob j = job.orElse(null);
        if (j != null && j.vocabularyHash == null) j.bindVocabulary(batch.vocabularyHash(), sampleTokenizer(batch.vocabularyHash()));
        if (j != null && !j.vocabularyHash.equals(batch.vocabularyHash())) {
            throw new IllegalArgumentException("batch vocabulary hash " + batch.vocabularyHash() + " does not match job "
                    + j.spec.id() + " (" + j.vocabularyHash + ")");
        }
        return j;
    }

    // ---------------------------------------------------------------- batches

    /** A trained step's result, carried to the metrics and checkpoint stages. */
    private record Step(TrainingJob job, TrainingBatch batch, long step, long tokensSeen, double loss, boolean evaluated) {}

    @Incoming(TRAIN_CHANNEL)
    public Uni<Void> onTrainBatch(Message<byte[]> message) {
        return Uni.createFrom().item(() -> {
                    TrainingBatch batch = TrainingBatch.decode(message.getPayload());
                    IncomingKafkaRecordMetadata<?, ?> where = message.getMetadata(IncomingKafkaRecordMetadata.class)
                            .orElseThrow(() -> new IllegalStateException("a batch without Kafka metadata"));
                    TrainingJob job = claim(batch);
                    if (job == null) {
                        unclaimed.increment();
                        return null;
                    }
                    if (job.alreadyTrained(where.getPartition(), where.getOffset(), batch)) {
                        skipped.increment();
                        return null;
                    }
                    job.requireFits(batch);
                    double loss = stepTime.record(() -> job.train(batch, where.getPartition(), where.getOffset()));
                    if (Double.isNaN(loss)) return null; // the job has finished; the batch is not its
                    trainBatches.increment();
                    tokens.increment(batch.tokens());
                    boolean evaluate = job.evaluationDue() || job.finished();
                    if (evaluate) job.evaluate();
                    synchronized (job) {
                        return new Step(job, batch, job.step, job.tokens, loss, evaluate);
                    }
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToUni(s -> {
                    if (s == null) return Uni.createFrom().voidItem();
                    Uni<Void> sent = metrics.sendMessage(KafkaMessages.keyed(s.job.spec.dataset(), toJson(metricsRecord(s))));
                    if (s.step % s.job.spec.checkpointEvery() == 0 || s.job.finished()) sent = sent.chain(() -> checkpoint(s.job, s.step));
                    return sent;
                })
                .chain(() -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> reject(message, e));
    }

    private Map<String, Object> metricsRecord(Step s) {
        JobStatus st = s.job.status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job", s.job.spec.id());
        m.put("dataset", s.job.spec.dataset());
        m.put("step", s.step);
        m.put("epoch", s.batch.epoch());
        m.put("batch", s.batch.batchIndex());
        m.put("tokens", s.tokensSeen);
        m.put("loss", s.loss);
        m.put("lr", st.learningRate());
        m.put("tokens_per_s", st.tokensPerSecond());
        if (s.evaluated) {
            m.put("val_loss", st.validationLoss());
            m.put("sample", st.sample());
        }
        return m;
    }

    @Incoming("val-batches")
    public Uni<Void> onValidationBatch(Message<byte[]> message) {
        return Uni.createFrom().item(() -> {
                    TrainingBatch batch = TrainingBatch.decode(message.getPayload());
                    TrainingJob job = claim(batch);
                    if (job != null) {
                        job.requireFits(batch);
                        job.addValidationBatch(batch);
                    }
                    valBatches.increment();
                    return batch;
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(() -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> reject(message, e));
    }

    // ---------------------------------------------------------------- checkpoints

    private final ScheduledExecutorService idleWatch =
            Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("idle-checkpoints").unstarted(r));

    void onStart(@Observes StartupEvent event) {
        idleWatch.scheduleWithFixedDelay(this::checkpointIdleJobs, 1, 1, TimeUnit.SECONDS);
    }

    /** Jobs that trained since their last checkpoint and then went quiet get one now (evaluated first). */
    private void checkpointIdleJobs() {
        long idle = config.idleCheckpointAfter().toNanos();
        checkpointUnsaved(job -> System.nanoTime() - job.lastBatchNanos >= idle, Duration.ofMinutes(5), "idle");
    }

    /**
     * SIGTERM: every job with unsaved steps is written before the service stops (announced if Kafka
     * still takes it), within the shutdown grace period ({@code quarkus.shutdown.timeout}).
     */
    void onStop(@Observes ShutdownEvent event) {
        idleWatch.shutdownNow();
        checkpointUnsaved(job -> true, config.shutdownGrace(), "shutdown");
    }

    private void checkpointUnsaved(Predicate<TrainingJob> when, Duration timeout, String why) {
        for (TrainingJob job : jobs.values()) {
            long steps;
            synchronized (job) {
                steps = job.step;
                if (steps <= job.checkpointedStep || !when.test(job)) continue;
            }
            try {
                if (!why.equals("shutdown")) job.evaluate();
                checkpoint(job, steps).await().atMost(timeout);
            } catch (RuntimeException e) {
                LOG.warnf("%s checkpoint of %s failed: %s", why, job.spec.id(), e.getMessage());
            }
        }
    }

    private Uni<Void> checkpoint(TrainingJob job, long step) {
        return Uni.createFrom().item(() -> {
                    Path dir = directories.of(job.spec.id()).resolve("step-" + step);
                    Map<String, String> hashes;
                    JobStatus s;
                    try {
                        synchronized (job) {
                            if (job.checkpointedStep >= step || job.step != step) return null; // written already, or moved on
                            hashes = JobCheckpoints.write(job, dir, json, clusterId);
                            job.lastCheckpoint = dir.toString();
                            job.checkpointedStep = step;
                            job.checkpointedPositions = Map.copyOf(job.positions);
                            job.releaseIfDone();
                            s = job.status();
                        }
                        JobCheckpoints.prune(dir.getParent(), config.keepCheckpoints());
                    } catch (IOException | UncheckedIOException e) {
                        // A full or failing volume: nothing partial is left or announced, the previous checkpoint
                        // stays the served one, and Kafka offsets stay at it, so a crash now loses nothing. The job
                        // trains on (its state in memory is whole) and the next checkpoint, or the idle one, retries.
                        checkpointFailures.increment();
                        job.checkpointError = "checkpoint of step " + step + " failed: " + e.getMessage()
                                + "; the next checkpoint retries (the newest complete one is step " + job.checkpointedStep + ")";
                        LOG.errorf("job %s: %s", job.spec.id(), job.checkpointError);
                        return null;
                    }
                    job.checkpointError = null;
                    Map<String, Double> m = new LinkedHashMap<>();
                    if (s.loss() != null) m.put("loss", s.loss());
                    if (s.validationLoss() != null) m.put("val_loss", s.validationLoss());
                    LOG.infof("checkpoint %s step %d loss %s -> %s", job.spec.id(), step, s.loss(), dir);
                    return new CheckpointAnnouncement(job.spec.id(), job.spec.id(), step, dir.toString(), hashes, m,
                            System.currentTimeMillis());
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(a -> a == null ? Uni.createFrom().voidItem()
                        : checkpoints.sendMessage(KafkaMessages.keyed(job.spec.id(), toJson(a))).chain(this::commitCheckpointedOffsets));
    }

    /**
     * Commits, per partition, the lowest position some unfinished job still needs: its newest
     * checkpoint's, or the first offset it was given when it has no checkpoint yet.
     */
    private Uni<Void> commitCheckpointedOffsets() {
        Map<Integer, Long> lowest = new HashMap<>();
        for (TrainingJob job : jobs.values()) {
            synchronized (job) {
                if (job.finished() && job.checkpointedStep == job.step) continue; // needs nothing more
                Map<Integer, Long> need = new HashMap<>(job.firstSeen);
                need.putAll(job.checkpointedPositions);
                need.forEach((p, o) -> lowest.merge(p, o, Math::min));
            }
        }
        if (lowest.isEmpty()) return Uni.createFrom().voidItem();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        lowest.forEach((p, o) -> offsets.put(new TopicPartition(Topics.TRAIN_BATCHES, p), new OffsetAndMetadata(o)));
        return kafka.getConsumer(TRAIN_CHANNEL).commit(offsets)
                .onFailure().recoverWithItem(e -> {
                    LOG.warnf("committing offsets %s failed (the next checkpoint retries): %s", offsets, e.getMessage());
                    return null;
                });
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
