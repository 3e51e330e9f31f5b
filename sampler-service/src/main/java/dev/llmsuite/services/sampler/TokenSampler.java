package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.service.KafkaMessages;
import dev.llmsuite.service.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 */
@ApplicationScoped
public class TokenSampler {
    private static final Logger LOG = Logger.getLogger(TokenSampler.class);

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
    private final ScheduledExecutorService quietWatch =
            Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("epoch-ends").unstarted(r));

    TokenSampler(@Channel("train-batches") MutinyEmitter<byte[]> trainBatches,
                 @Channel("val-batches") MutinyEmitter<byte[]> valBatches,
                 SamplerConfig config, MeterRegistry registry, KafkaClientService kafka,
                 @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
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
    }

    void onStop(@Observes ShutdownEvent e) {
        quietWatch.shutdownNow();
    }

    // ---------------------------------------------------------------- specs

    /** POST /v1/datasets/{id}/sampling: 409 once the dataset's sampling has started. */
    Map<String, Object> define(String dataset, SamplingSpec requested) {
        SamplingSpec spec;
        try {
            spec = requested.resolve(config);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        synchronized (this) {
            if (datasets.containsKey(dataset)) {
                throw new ProblemException(409, "dataset '" + dataset + "' is already being sampled with " + datasets.get(dataset).spec);
            }
            specs.put(dataset, spec);
        }
        return Map.of("dataset", dataset, "spec", spec, "state", "waiting for tokens");
    }

    Optional<Map<String, Object>> status(String dataset) {
        DatasetSampler s = datasets.get(dataset);
        if (s == null) {
            return Optional.ofNullable(specs.get(dataset)).map(spec -> Map.of("dataset", dataset, "spec", spec, "state", "waiting for tokens"));
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
            java.util.function.Function<org.apache.kafka.clients.consumer.Consumer<Object, Object>, Map<TopicPartition, Long>> endOffsets =
                    c -> c.endOffsets(partitions);
            Map<TopicPartition, Long> ends = kafka.getConsumer("tokens").runOnPollingThread(endOffsets)
                    .await().atMost(java.time.Duration.ofSeconds(5));
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
        List<TrainingBatch> ready;
        try {
            TokenChunk chunk = TokenChunk.decode(message.getPayload());
            IncomingKafkaRecordMetadata<?, ?> where = message.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
            DatasetSampler s = datasets.computeIfAbsent(chunk.datasetId(), this::newSampler);
            ready = track(s, () -> s.onChunk(chunk, where == null ? 0 : where.getPartition(), where == null ? 0 : where.getOffset(), false));
        } catch (RuntimeException e) {
            rejected.increment();
            LOG.warnf("token chunk rejected to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().completionStage(message.nack(e));
        }
        chunks.increment();
        return send(ready)
                .onItem().transformToUni(x -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> Uni.createFrom().completionStage(message.nack(e)));
    }

    private synchronized DatasetSampler newSampler(String dataset) {
        SamplingSpec spec = specs.getOrDefault(dataset, new SamplingSpec(null, null, null, null, null, null, null, null, null, null).resolve(config));
        return new DatasetSampler(dataset, spec);
    }

    /** Runs a sampling step and counts what it made (windows by difference, duplicates likewise). */
    private List<TrainingBatch> track(DatasetSampler s, java.util.function.Supplier<List<TrainingBatch>> step) {
        Map<String, Object> before = s.status(Map.of());
        List<TrainingBatch> out = step.get();
        Map<String, Object> after = s.status(Map.of());
        windows.increment((long) after.get("windows") - (long) before.get("windows"));
        exactDuplicates.increment((long) after.get("exactDuplicates") - (long) before.get("exactDuplicates"));
        nearDuplicates.increment((long) after.get("nearDuplicates") - (long) before.get("nearDuplicates"));
        return out;
    }

    private Uni<Void> send(List<TrainingBatch> ready) {
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
            Thread.ofVirtual().name("epochs-" + s.dataset).start(() -> {
                try {
                    runRemainingEpochs(s);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "sampling %s after epoch %d failed", s.dataset, s.epoch());
                }
            });
        }
    }

    private void runRemainingEpochs(DatasetSampler s) {
        send(track(s, s::endEpoch)).await().indefinitely();
        LOG.infof("dataset %s: epoch %d of %d done", s.dataset, s.epoch() - (s.done() ? 0 : 1), s.spec.epochs());
        while (!s.done()) {
            Map<Integer, long[]> ranges;
            synchronized (s) {
                ranges = new HashMap<>(s.ranges);
            }
            EpochReplay.replay(bootstrapServers, ranges, s.dataset,
                    (chunk, partition, offset) -> send(track(s, () -> s.onChunk(chunk, partition, offset, true))).await().indefinitely());
            send(track(s, s::endEpoch)).await().indefinitely();
            LOG.infof("dataset %s: epoch %d of %d done", s.dataset, s.done() ? s.spec.epochs() : s.epoch(), s.spec.epochs());
        }
    }
}
