package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Topics;
import dev.llmsuite.service.KafkaMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/**
 * When jobs are checkpointed, and what a checkpoint commits: every {@code checkpointEvery} steps (asked by
 * {@link BatchTrainer}), when a job with unsaved steps goes quiet, on DELETE and on SIGTERM. A written
 * checkpoint is announced on {@code model.checkpoints}, and only then are the batch topic's offsets committed,
 * as far as every job's newest checkpoint reaches: the exactly-once half of the trainer.
 */
@ApplicationScoped
public class JobCheckpointing {
    private static final Logger LOG = Logger.getLogger(JobCheckpointing.class);

    private final TrainingJobs jobs;
    private final MutinyEmitter<String> checkpoints;
    private final TrainerConfig config;
    private final ObjectMapper json;
    private final KafkaClientService kafka;
    private final Counter checkpointFailures;
    private final ScheduledExecutorService idleWatch =
            Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("idle-checkpoints").unstarted(r));

    JobCheckpointing(TrainingJobs jobs, @Channel("checkpoints") MutinyEmitter<String> checkpoints, TrainerConfig config,
                     ObjectMapper json, KafkaClientService kafka, MeterRegistry registry) {
        this.jobs = jobs;
        this.checkpoints = checkpoints;
        this.config = config;
        this.json = json;
        this.kafka = kafka;
        this.checkpointFailures = registry.counter("llm.trainer.checkpoint.failures");
    }

    /** DELETE /v1/jobs/{id}: stops the job and writes its final checkpoint. */
    JobStatus stop(String id) {
        TrainingJob job = jobs.job(id);
        synchronized (job) {
            if (job.state == TrainingJob.State.RUNNING) job.state = TrainingJob.State.STOPPED;
        }
        if (job.step > job.checkpointedStep) checkpoint(job, job.step).await().atMost(Duration.ofMinutes(5));
        return job.status();
    }

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

    Uni<Void> checkpoint(TrainingJob job, long step) {
        return Uni.createFrom().item(() -> {
                    Path dir = jobs.directories().of(job.spec.id()).resolve("step-" + step);
                    Map<String, String> hashes;
                    JobStatus s;
                    try {
                        synchronized (job) {
                            if (job.checkpointedStep >= step || job.step != step) return null; // written already, or moved on
                            hashes = JobCheckpoints.write(job, dir, json, jobs.clusterId());
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
        return kafka.getConsumer(BatchTrainer.TRAIN_CHANNEL).commit(offsets)
                .onFailure().recoverWithItem(e -> {
                    LOG.warnf("committing offsets %s failed (the next checkpoint retries): %s", offsets, e.getMessage());
                    return null;
                });
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
