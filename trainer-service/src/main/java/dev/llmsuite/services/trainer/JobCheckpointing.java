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
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/**
 * When jobs are checkpointed, and what a checkpoint commits: every {@code checkpointEvery} steps (asked by
 * {@link BatchTrainer}), when a job with unsaved steps goes quiet, on DELETE, on SIGTERM, and when the job's
 * partition leaves this replica in a rebalance ({@link JobOwnership}). The exactly-once half of the trainer:
 *
 * <ol>
 *   <li>the checkpoint is written to the shared volume ({@code <job>/step-N}, atomically);</li>
 *   <li>the batch topic's offsets are committed, per owned partition as far as every job on it has checkpointed,
 *       with the offset metadata naming each job's checkpoint ({@link CommittedSteps}). The group coordinator
 *       accepts the commit only from the partition's current owner: a replica that lost the partition (a
 *       rebalance it has not noticed yet) is refused here, and its checkpoint stays an unnamed directory;</li>
 *   <li>only then is the checkpoint announced on {@code model.checkpoints}, and older steps pruned.</li>
 * </ol>
 * A replica that takes the partition over resumes each job from the step the committed metadata names, so
 * what it trains on is exactly what the group last agreed on.
 *
 * <p>Over 250 lines because the five triggers above share one write, commit and announce sequence, and
 * splitting them would split the ordering that makes it exactly once.</p>
 */
@ApplicationScoped
public class JobCheckpointing {
    private static final Logger LOG = Logger.getLogger(JobCheckpointing.class);

    private final TrainingJobs jobs;
    private final MutinyEmitter<String> checkpoints;
    private final TrainerConfig config;
    private final ObjectMapper json;
    private final KafkaClientService kafka;
    private final ModelHistory history;
    private final Counter checkpointFailures;
    private final Counter fencedCommits;
    private final ScheduledExecutorService idleWatch =
            Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("idle-checkpoints").unstarted(r));

    JobCheckpointing(TrainingJobs jobs, @Channel("checkpoints") MutinyEmitter<String> checkpoints, TrainerConfig config,
                     ObjectMapper json, KafkaClientService kafka, ModelHistory history, MeterRegistry registry) {
        this.history = history;
        this.jobs = jobs;
        this.checkpoints = checkpoints;
        this.config = config;
        this.json = json;
        this.kafka = kafka;
        this.checkpointFailures = registry.counter("llm.trainer.checkpoint.failures");
        this.fencedCommits = registry.counter("llm.trainer.checkpoint.fenced");
    }

    /** DELETE /v1/jobs/{id}: stops the job and writes its final checkpoint. */
    JobStatus stop(String id) {
        TrainingJob job = jobs.job(id);
        synchronized (job) {
            if (job.state == TrainingJob.State.RUNNING) job.state = TrainingJob.State.STOPPED;
        }
        if (job.step > job.checkpointedStep) checkpoint(job, job.step).await().atMost(Duration.ofMinutes(5));
        job.releaseIfDone(); // stopped, and its last step saved (or none trained): its model's memory goes back
        return job.status();
    }

    void onStart(@Observes StartupEvent event) {
        idleWatch.scheduleWithFixedDelay(this::checkpointIdleJobs, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * Jobs that trained since their last checkpoint and then went quiet get one now (evaluated first); checkpoints
     * whose commit failed (Kafka did not answer) are committed and announced now.
     */
    private void checkpointIdleJobs() {
        long idle = config.idleCheckpointAfter().toNanos();
        checkpointUnsaved(job -> System.nanoTime() - job.lastBatchNanos >= idle, Duration.ofMinutes(5), "idle");
        if (jobs.values().stream().anyMatch(j -> j.checkpointedStep > j.committedStep)) {
            try {
                commitAndAnnounce().await().atMost(Duration.ofMinutes(1));
            } catch (RuntimeException e) {
                LOG.warnf("committing written checkpoints failed (retried in a second): %s", e.getMessage());
            }
        }
    }

    /**
     * SIGTERM: every job with unsaved steps is written before the service stops (committed and announced if
     * Kafka still takes it), within the shutdown grace period ({@code quarkus.shutdown.timeout}).
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

    /** Writes the job's checkpoint of this step (unless written already, moved on or handed over), commits, announces. */
    Uni<Void> checkpoint(TrainingJob job, long step) {
        return Uni.createFrom().item(() -> {
                    synchronized (job) {
                        if (job.handedOver || job.checkpointedStep >= step || job.step != step) return false;
                        return writeLocked(job);
                    }
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(written -> written ? commitAndAnnounce() : Uni.createFrom().voidItem());
    }

    /**
     * A rebalance takes these partitions from this replica (on the consumer's thread, before the group moves
     * them on): their jobs stop after the step they are in, and are checkpointed, committed and announced. Whether
     * they then leave or go on here, the assignment that follows decides ({@link TrainingJobs#adopt}).
     */
    void handOver(Consumer<?, ?> consumer, Collection<Integer> partitions) {
        List<TrainingJob> leaving = jobs.on(partitions);
        for (TrainingJob job : leaving) {
            synchronized (job) { // waits for a step in progress
                job.handedOver = true;
                if (job.step > job.checkpointedStep) writeLocked(job);
            }
        }
        try {
            announce(commitOwned(consumer)).await().atMost(Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            LOG.warnf("announcing the handed-over jobs' checkpoints failed: %s", e.getMessage());
        }
        jobs.suspend(partitions);
    }

    /** Writes the checkpoint of the job's current step; false when the volume refused it (the job trains on). */
    private boolean writeLocked(TrainingJob job) {
        long step = job.step;
        Path dir = jobs.directories().of(job.spec.id()).resolve("step-" + step);
        try {
            Map<String, String> hashes = JobCheckpoints.write(job, dir, json, jobs.clusterId());
            job.lastCheckpoint = dir.toString();
            job.checkpointedStep = step;
            job.checkpointedPositions = Map.copyOf(job.positions);
            JobStatus s = job.status();
            Map<String, Double> m = new LinkedHashMap<>();
            if (s.loss() != null) m.put("loss", s.loss());
            if (s.validationLoss() != null) m.put("val_loss", s.validationLoss());
            job.unannounced = new CheckpointAnnouncement(job.spec.id(), job.spec.id(), step, dir.toString(), hashes, m,
                    System.currentTimeMillis());
            job.checkpointError = null;
            LOG.infof("checkpoint %s step %d loss %s -> %s", job.spec.id(), step, s.loss(), dir);
            return true;
        } catch (IOException | UncheckedIOException e) {
            // A full or failing volume: nothing partial is left or announced, the previous checkpoint stays the
            // served one, and Kafka offsets stay at it, so a crash now loses nothing. The job trains on (its state
            // in memory is whole) and the next checkpoint, or the idle one, retries.
            checkpointFailures.increment();
            job.checkpointError = "checkpoint of step " + step + " failed: " + e.getMessage()
                    + "; the next checkpoint retries (the newest complete one is step " + job.checkpointedStep + ")";
            LOG.errorf("job %s: %s", job.spec.id(), job.checkpointError);
            return false;
        }
    }

    /** Commits on the consumer's own thread (where rebalances happen too), then announces what the commit covers. */
    private Uni<Void> commitAndAnnounce() {
        return kafka.getConsumer(BatchTrainer.CHANNEL).runOnPollingThread(this::commitOwned)
                .onFailure().recoverWithItem(e -> {
                    LOG.warnf("committing the checkpointed offsets failed (the next checkpoint retries): %s", e.getMessage());
                    return List.of();
                })
                .chain(this::announce);
    }

    /**
     * Commits, for each partition this consumer is assigned, the lowest position a job on it still needs (its
     * newest checkpoint's, or the first offset it was given when it has no checkpoint yet; when none needs any,
     * the furthest one trained), with the jobs' checkpoint steps as the offset metadata. Returns the jobs whose
     * checkpoint the commit covers; none when the group refused it (this replica no longer owns the partitions).
     */
    private List<TrainingJob> commitOwned(Consumer<?, ?> consumer) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Map<TrainingJob, Long> covered = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            if (!tp.topic().equals(Topics.TRAIN_BATCHES)) continue;
            Long lowest = null, furthest = null;
            Map<String, Long> steps = new LinkedHashMap<>();
            for (TrainingJob job : jobs.on(List.of(tp.partition()))) {
                synchronized (job) {
                    Long position = job.checkpointedPositions.getOrDefault(tp.partition(), job.firstSeen.get(tp.partition()));
                    boolean needsMore = !(job.finished() && job.checkpointedStep == job.step);
                    if (needsMore && position != null) lowest = lowest == null ? position : Math.min(lowest, position);
                    Long trained = job.positions.get(tp.partition());
                    if (trained != null) furthest = furthest == null ? trained : Math.max(furthest, trained);
                    if (job.checkpointedStep > 0) {
                        steps.put(job.spec.id(), job.checkpointedStep);
                        covered.put(job, job.checkpointedStep);
                    }
                }
            }
            Long offset = lowest != null ? lowest : furthest;
            if (offset != null) offsets.put(tp, new OffsetAndMetadata(offset, CommittedSteps.format(steps)));
        }
        if (offsets.isEmpty()) return List.of();
        try {
            consumer.commitSync(offsets);
        } catch (KafkaException e) { // CommitFailedException and friends: the group has given the partitions to another
            fencedCommits.increment();
            LOG.warnf("the group refused the commit of %s, so its checkpoints are not announced: %s", offsets.keySet(), e.toString());
            return List.of();
        }
        List<TrainingJob> out = new ArrayList<>();
        covered.forEach((job, step) -> {
            synchronized (job) {
                job.committedStep = Math.max(job.committedStep, step);
            }
            out.add(job);
        });
        return out;
    }

    /** Announces each covered job's committed checkpoint (once), prunes its older ones, and frees a finished job. */
    private Uni<Void> announce(List<TrainingJob> covered) {
        List<Uni<Void>> sends = new ArrayList<>();
        for (TrainingJob job : covered) {
            CheckpointAnnouncement a;
            synchronized (job) {
                a = job.unannounced;
                if (a == null || a.step() > job.committedStep) continue;
                job.unannounced = null;
                job.releaseIfDone();
            }
            JobCheckpoints.prune(jobs.directories().of(job.spec.id()), config.keepCheckpoints(), a.step(),
                    step -> history.isPromoted(a.model(), step));
            sends.add(checkpoints.sendMessage(KafkaMessages.keyed(job.spec.id(), toJson(a))));
        }
        return sends.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(sends).andFailFast().replaceWithVoid();
    }

    private String toJson(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
