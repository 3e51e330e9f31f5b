package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.service.KafkaMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code train.batches} and {@code val.batches} in, on one consumer (so the group gives partition p of both to the
 * same replica, {@link JobOwnership}), to the job that trains each dataset ({@link TrainingJobs}), off the event
 * loop; per-step metrics go to {@code training.metrics}, and every {@code checkpointEvery} steps
 * {@link JobCheckpointing} writes, commits and announces a checkpoint.
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
    static final String CHANNEL = "batches";

    private final MutinyEmitter<String> metrics;
    private final TrainingJobs jobs;
    private final JobCheckpointing checkpointing;
    private final ObjectMapper json;
    private final Counter trainBatches;
    private final Counter valBatches;
    private final Counter skipped;
    private final Counter unclaimed;
    private final Counter tokens;
    private final Counter rejected;
    private final Timer stepTime;

    BatchTrainer(@Channel("training-metrics") MutinyEmitter<String> metrics, TrainingJobs jobs, JobCheckpointing checkpointing,
                 ObjectMapper json, MeterRegistry registry) {
        this.metrics = metrics;
        this.jobs = jobs;
        this.checkpointing = checkpointing;
        this.json = json;
        this.trainBatches = registry.counter("llm.trainer.batches", "split", "train");
        this.valBatches = registry.counter("llm.trainer.batches", "split", "validation");
        this.skipped = registry.counter("llm.trainer.batches.skipped");
        this.unclaimed = registry.counter("llm.trainer.batches.unclaimed");
        this.tokens = registry.counter("llm.trainer.tokens");
        this.rejected = registry.counter("llm.trainer.dead_letter");
        this.stepTime = registry.timer("llm.trainer.step");
    }

    /** A trained step's result, carried to the metrics and checkpoint stages. */
    private record Step(TrainingJob job, TrainingBatch batch, long step, long tokensSeen, double loss, boolean evaluated) {}

    @Incoming(CHANNEL)
    public Uni<Void> onBatch(Message<byte[]> message) {
        IncomingKafkaRecordMetadata<?, ?> where = message.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
        if (where == null) return reject(message, new IllegalStateException("a batch without Kafka metadata"));
        return Topics.VAL_BATCHES.equals(where.getTopic()) ? onValidationBatch(message, where) : onTrainBatch(message, where);
    }

    private Uni<Void> onTrainBatch(Message<byte[]> message, IncomingKafkaRecordMetadata<?, ?> where) {
        return Uni.createFrom().item(() -> {
                    TrainingBatch batch = TrainingBatch.decode(message.getPayload());
                    TrainingJob job = jobs.claim(batch, where.getPartition());
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
                    if (s.step % s.job.spec.checkpointEvery() == 0 || s.job.finished()) sent = sent.chain(() -> checkpointing.checkpoint(s.job, s.step));
                    return sent;
                })
                .chain(() -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> reject(message, e));
    }

    private StepMetrics metricsRecord(Step s) {
        JobStatus st = s.job.status();
        return new StepMetrics(s.job.spec.id(), s.job.spec.dataset(), s.step, s.batch.epoch(), s.batch.batchIndex(), s.tokensSeen,
                s.loss, st.learningRate(), st.tokensPerSecond(), Double.isNaN(s.job.gradientNorm) ? null : s.job.gradientNorm, s.evaluated ? st.validationLoss() : null, s.evaluated ? st.sample() : null);
    }

    private Uni<Void> onValidationBatch(Message<byte[]> message, IncomingKafkaRecordMetadata<?, ?> where) {
        return Uni.createFrom().item(() -> {
                    TrainingBatch batch = TrainingBatch.decode(message.getPayload());
                    TrainingJob job = jobs.claim(batch, where.getPartition());
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
