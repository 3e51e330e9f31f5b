package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.service.KafkaMessages;
import dev.llmsuite.service.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code corpus.tokens} → {@code train.batches} / {@code val.batches}, one {@link DatasetSampler} per
 * dataset, sampled as its posted {@link SamplingSpec} says (or the defaults). When a dataset has gone
 * quiet its epoch ends; each further epoch replays the dataset's stored offset ranges of the token
 * topic ({@link EpochReplay}).
 *
 * <p>Restarts: each dataset's spec and progress go to {@code sampler.state} ({@link SamplerStateStore})
 * before the chunk that moved it is acknowledged. On start, before any live chunk is handled, every
 * unfinished dataset is caught up: its chunks the consumer group has committed are read again (sampling is
 * deterministic for a given chunk order), the batches it had already sent are made but not sent again, and
 * the epochs after the first go on from where they were. A batch sent but not yet recorded when the
 * process died is sent again; the trainer recognises it by its epoch and index.</p>
 *
 * <p>Over 250 lines because the live handler, the later epochs and the restart catch-up share the per-dataset
 * maps; Kafka Streams' state stores are to take the last two over (docs/scaling.md).</p>
 */
@ApplicationScoped
public class DatasetSamplers {
    private static final Logger LOG = Logger.getLogger(DatasetSamplers.class);

    private final MutinyEmitter<byte[]> trainBatches;
    private final MutinyEmitter<byte[]> valBatches;
    private final SamplerConfig config;
    private final KafkaClientService kafka;
    private final String bootstrapServers;
    private final Map<String, SamplingSpec> specs = new ConcurrentHashMap<>();
    private final Map<String, DatasetSampler> datasets = new ConcurrentHashMap<>();
    /** Datasets whose epoch end or replay is running. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final Counter chunks;
    private final Counter windows;
    private final Counter batches;
    private final Counter rejected;
    private final Counter exactDuplicates;
    private final Counter nearDuplicates;
    private final SamplerStateStore store;
    /** Datasets that were done before this process started: their final status, and where their chunks lie. */
    private final Map<String, SamplerState> finished = new ConcurrentHashMap<>();
    /**
     * Datasets that failed, with the reason: an Error while sampling (say, OutOfMemoryError) or a stored spec over
     * today's budget. Their chunks are dead-lettered with that reason; the service and every other dataset go on.
     */
    private final Map<String, String> failed = new ConcurrentHashMap<>();
    /** Per dataset, the {@link DatasetSampler#stateChanges} its last stored state had. */
    private final Map<String, Long> stored = new ConcurrentHashMap<>();
    /** Completes once the stored datasets are caught up; live chunks and requests wait for it. */
    private final CompletableFuture<Void> recovered = new CompletableFuture<>();
    private final ScheduledExecutorService quietWatch =
            Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("epoch-ends").unstarted(r));

    DatasetSamplers(@Channel("train-batches") MutinyEmitter<byte[]> trainBatches,
                 @Channel("val-batches") MutinyEmitter<byte[]> valBatches,
                 SamplerConfig config, MeterRegistry registry, KafkaClientService kafka, SamplerStateStore store,
                 @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.store = store;
        this.trainBatches = trainBatches;
        this.valBatches = valBatches;
        this.config = config;
        this.kafka = kafka;
        this.bootstrapServers = bootstrapServers;
        this.chunks = registry.counter("llm.sampler.chunks");
        this.windows = registry.counter("llm.sampler.windows");
        this.batches = registry.counter("llm.sampler.batches");
        this.rejected = registry.counter("llm.sampler.dead_letter");
        this.exactDuplicates = registry.counter("llm.sampler.duplicates", "kind", "exact");
        this.nearDuplicates = registry.counter("llm.sampler.duplicates", "kind", "near");
    }

    void onStart(@Observes StartupEvent e) {
        quietWatch.scheduleWithFixedDelay(this::endQuietEpochs, 250, 250, TimeUnit.MILLISECONDS);
        Thread.ofVirtual().name("sampler-recovery").start(this::recoverUntilDone);
    }

    void onStop(@Observes ShutdownEvent e) {
        quietWatch.shutdownNow();
    }

    // ---------------------------------------------------------------- specs

    /** POST /v1/datasets/{id}/sampling: 409 once the dataset's sampling has started. */
    SamplingStatus define(String dataset, SamplingSpec requested) {
        awaitRecovery();
        SamplingSpec spec;
        try {
            spec = requested.resolve(config);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        synchronized (this) {
            if (failed.containsKey(dataset)) throw new ProblemException(409, "dataset '" + dataset + "' failed: " + failed.get(dataset));
            if (datasets.containsKey(dataset)) {
                throw new ProblemException(409, "dataset '" + dataset + "' is already being sampled with " + datasets.get(dataset).spec);
            }
            if (finished.containsKey(dataset)) throw new ProblemException(409, "dataset '" + dataset + "' has been sampled");
            store.write(SamplerState.posted(dataset, spec)).await().atMost(Duration.ofSeconds(30));
            specs.put(dataset, spec);
        }
        return SamplingStatus.waiting(dataset, spec);
    }

    Optional<SamplingStatus> status(String dataset) {
        awaitRecovery();
        DatasetSampler s = datasets.get(dataset);
        if (failed.containsKey(dataset)) return Optional.of(SamplingStatus.failed(dataset, failed.get(dataset)));
        if (s == null && finished.containsKey(dataset)) return Optional.of(finished.get(dataset).status());
        if (s == null) {
            return Optional.ofNullable(specs.get(dataset)).map(spec -> SamplingStatus.waiting(dataset, spec));
        }
        return Optional.of(s.status(lag(s)));
    }

    /** Per partition: chunks on the topic after the last one of this dataset seen (a bound on what is still to come). */
    private Map<Integer, Long> lag(DatasetSampler s) {
        Map<Integer, long[]> ranges;
        synchronized (s) {
            ranges = new HashMap<>(s.ranges);
        }
        if (ranges.isEmpty()) return Map.of();
        try {
            List<TopicPartition> partitions = ranges.keySet().stream().map(p -> new TopicPartition(Topics.TOKENS, p)).toList();
            Function<Consumer<Object, Object>, Map<TopicPartition, Long>> endOffsets =
                    c -> c.endOffsets(partitions);
            Map<TopicPartition, Long> ends = kafka.getConsumer("tokens").runOnPollingThread(endOffsets)
                    .await().atMost(Duration.ofSeconds(5));
            Map<Integer, Long> lag = new HashMap<>();
            ranges.forEach((p, r) -> lag.put(p, Math.max(0, ends.getOrDefault(new TopicPartition(Topics.TOKENS, p), r[1] + 1) - r[1] - 1)));
            return lag;
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    // ---------------------------------------------------------------- the live topic

    @Incoming("tokens")
    public Uni<Void> onChunk(Message<byte[]> message) {
        if (!recovered.isDone()) return Uni.createFrom().completionStage(recovered).chain(() -> onChunk(message));
        List<TrainingBatch> ready;
        DatasetSampler s;
        try {
            TokenChunk chunk = TokenChunk.decode(message.getPayload());
            IncomingKafkaRecordMetadata<?, ?> where = message.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
            SamplerState done = finished.get(chunk.datasetId());
            if (done != null) { // sampled before this process started: it takes no more chunks
                long[] seen = where == null ? null : done.ranges().get(where.getPartition());
                if (seen == null || where.getOffset() > seen[1]) {
                    LOG.warnf("dataset %s has been sampled; a chunk of document %s is ignored", chunk.datasetId(), chunk.documentId());
                }
                return Uni.createFrom().completionStage(message.ack());
            }
            String failure = failed.get(chunk.datasetId());
            if (failure != null) throw new IllegalStateException("dataset " + chunk.datasetId() + " failed: " + failure);
            s = datasets.computeIfAbsent(chunk.datasetId(), this::newSampler);
            try {
                ready = track(s, () -> s.onChunk(chunk, where == null ? 0 : where.getPartition(), where == null ? 0 : where.getOffset(), false));
            } catch (VirtualMachineError e) { // the dataset's state is no longer whole: it fails, the service goes on
                throw fail(s.dataset, e);
            }
        } catch (RuntimeException e) {
            rejected.increment();
            LOG.warnf("token chunk rejected to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().completionStage(message.nack(e));
        }
        chunks.increment();
        return send(s, ready)
                .chain(() -> storeIfChanged(s))
                .onItem().transformToUni(x -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> Uni.createFrom().completionStage(message.nack(e)));
    }

    private synchronized DatasetSampler newSampler(String dataset) {
        SamplingSpec spec = specs.getOrDefault(dataset, new SamplingSpec(null, null, null, null, null, null, null, null, null, null).resolve(config));
        return new DatasetSampler(dataset, spec, config.maxDatasetBytes());
    }

    /** Takes a dataset out of sampling for good: its memory goes, its status and later chunks say why. */
    private IllegalStateException fail(String dataset, Throwable cause) {
        String reason = cause instanceof VirtualMachineError ? "sampling it failed with " + cause : cause.getMessage();
        datasets.remove(dataset);
        failed.put(dataset, reason);
        LOG.errorf("dataset %s failed and is no longer sampled: %s", dataset, reason);
        return new IllegalStateException("dataset " + dataset + " failed: " + reason);
    }

    /** Runs a sampling step and counts what it made (windows by difference, duplicates likewise). */
    private List<TrainingBatch> track(DatasetSampler s, Supplier<List<TrainingBatch>> step) {
        SamplingStatus before = s.status(Map.of());
        List<TrainingBatch> out = step.get();
        SamplingStatus after = s.status(Map.of());
        windows.increment(after.windows() - before.windows());
        exactDuplicates.increment(after.exactDuplicates() - before.exactDuplicates());
        nearDuplicates.increment(after.nearDuplicates() - before.nearDuplicates());
        return out;
    }

    /**
     * Writes the dataset's state when it changed since the last write: a chunk that made no batch changes
     * nothing a restart needs (it catches up from the committed chunks), so a corpus of many small documents
     * costs no write per chunk.
     */
    private Uni<Void> storeIfChanged(DatasetSampler s) {
        long changes = s.stateChanges();
        Long written = stored.get(s.dataset);
        if (written != null && written == changes) return Uni.createFrom().voidItem();
        return store.write(s.state()).invoke(() -> stored.put(s.dataset, changes));
    }

    /** Sends a dataset's new batches in order, leaving out those it sent before a restart. */
    private Uni<Void> send(DatasetSampler s, List<TrainingBatch> made) {
        List<TrainingBatch> ready = made.stream().filter(b -> !s.sentBeforeRestart(b)).toList();
        if (ready.isEmpty()) return Uni.createFrom().voidItem();
        return Multi.createFrom().iterable(ready)
                .onItem().transformToUniAndConcatenate(b -> {
                    MutinyEmitter<byte[]> out = b.split() == Split.TRAIN ? trainBatches : valBatches;
                    return out.sendMessage(KafkaMessages.keyed(b.key(), b.encode())).invoke(() -> batches.increment());
                })
                .collect().last().replaceWithVoid();
    }

    // ---------------------------------------------------------------- epochs

    /** Ends the epoch of every dataset that went quiet, then replays it while epochs remain. */
    private void endQuietEpochs() {
        long quiet = config.endOfDataAfter().toNanos();
        for (DatasetSampler s : datasets.values()) {
            if (s.epoch() > 0 || busy.contains(s.dataset) || !s.quiet(quiet)) continue;
            busy.add(s.dataset);
            startRemainingEpochs(s);
        }
    }

    /** Ends the dataset's running epoch and runs the rest, on a thread of their own. */
    private void startRemainingEpochs(DatasetSampler s) {
        Thread.ofVirtual().name("epochs-" + s.dataset).start(() -> {
            try {
                runRemainingEpochs(s);
            } catch (RuntimeException e) {
                LOG.errorf(e, "sampling %s after epoch %d failed", s.dataset, s.epoch());
            } catch (VirtualMachineError e) {
                fail(s.dataset, e);
            }
        });
    }

    private void runRemainingEpochs(DatasetSampler s) {
        endEpoch(s);
        while (!s.done()) {
            Map<Integer, long[]> ranges;
            synchronized (s) {
                ranges = new HashMap<>(s.ranges);
            }
            EpochReplay.replay(bootstrapServers, ranges, s.dataset, (chunk, partition, offset) -> {
                List<TrainingBatch> made = track(s, () -> s.onChunk(chunk, partition, offset, true));
                if (!made.isEmpty()) send(s, made).chain(() -> store.write(s.state())).await().indefinitely();
            });
            endEpoch(s);
        }
    }

    private void endEpoch(DatasetSampler s) {
        send(s, track(s, s::endEpoch)).chain(() -> store.write(s.state())).await().indefinitely();
        LOG.infof("dataset %s: epoch %d of %d done", s.dataset, s.done() ? s.spec.epochs() : s.epoch(), s.spec.epochs());
    }

    // ---------------------------------------------------------------- restarts

    /** Requests wait while the stored datasets are caught up: 503 if that takes longer than 30 s. */
    private void awaitRecovery() {
        ProblemException.awaitReady(recovered, Duration.ofSeconds(30),
                "the sampler is catching up its datasets after a restart; try again shortly");
    }

    /** Catches the stored datasets up, retrying while Kafka does not answer; then lets live chunks through. */
    private void recoverUntilDone() {
        for (int attempt = 1; ; attempt++) {
            try {
                recover();
                recovered.complete(null);
                return;
            } catch (Exception e) {
                LOG.warnf("catching up the stored datasets failed (attempt %d), retrying in 2 s: %s", attempt, e.toString());
                datasets.clear();
                failed.clear();
                busy.clear();
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException stop) {
                    recovered.completeExceptionally(stop);
                    return;
                }
            }
        }
    }

    private void recover() throws Exception {
        int partitions = store.tokenPartitions();
        if (partitions > 1) {
            LOG.warnf("corpus.tokens has %d partitions: a dataset's later epochs and a restart's catch-up read its chunks"
                    + " partition by partition, not in the first epoch's order, so their windows differ; give it one partition",
                    partitions);
        }
        SamplerStateStore.Stored read = store.readAll();
        read.unreadable().forEach((dataset, why) -> fail(dataset, new IllegalArgumentException(why)));
        Map<String, SamplerState> stored = read.states();
        if (stored.isEmpty()) return;
        Map<Integer, Long> committed = store.committedTokenOffsets();
        List<DatasetSampler> pastFirstEpoch = new ArrayList<>();
        for (var entry : stored.entrySet()) {
            SamplerState st = entry.getValue();
            try {
                st.check(entry.getKey(), config.maxDatasetBytes()); // stored before a smaller budget, or by anyone who can write the topic
            } catch (RuntimeException e) {
                fail(entry.getKey(), e);
                continue;
            }
            specs.put(st.dataset(), st.spec());
            if (st.done()) {
                finished.put(st.dataset(), st);
                continue;
            }
            if (st.ranges().isEmpty()) continue; // a posted spec, no tokens yet
            DatasetSampler s = new DatasetSampler(st.dataset(), st.spec(), config.maxDatasetBytes());
            s.resumeAfter(st);
            busy.add(st.dataset()); // before it is visible: no epoch ends while it catches up
            datasets.put(st.dataset(), s);
            // The first epoch again: in its first epoch, the chunks the live consumer will not deliver again
            // (below the committed offset); past it, all of them.
            Map<Integer, long[]> upTo = new HashMap<>();
            st.ranges().forEach((p, r) -> {
                long last = st.epoch() > 0 ? r[1] : committed.getOrDefault(p, r[0]) - 1;
                if (last >= r[0]) upTo.put(p, new long[] {r[0], last});
            });
            EpochReplay.replay(bootstrapServers, upTo, st.dataset(),
                    (chunk, partition, offset) -> send(s, track(s, () -> s.onChunk(chunk, partition, offset, false))).await().indefinitely());
            LOG.infof("dataset %s: caught up after a restart (epoch %d, %d + %d batches sent before it)", st.dataset(), st.epoch(),
                    st.trainBatchesSent(), st.validationBatchesSent());
            if (st.epoch() > 0) pastFirstEpoch.add(s);
            else busy.remove(st.dataset());
        }
        pastFirstEpoch.forEach(this::startRemainingEpochs);
    }
}
