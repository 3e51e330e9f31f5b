package dev.llmsuite.services.sampler;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Names;
import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * The sampling step of one task (one partition of {@code corpus.tokens} and of {@code sampling.specs}, so the
 * datasets keyed there). A spec record sets a dataset's sampling before its tokens arrive; a chunk goes
 * through its dataset's {@link DatasetSampler}, and the batches it completes go to {@code train.batches} or
 * {@code val.batches}; a chunk that cannot be used goes to {@code corpus.tokens.dlq} with the reason. Every
 * {@code llm.sampler.punctuate-every} a punctuation ends the first epoch of each dataset that has gone quiet
 * and moves the later epochs on, from the documents the stream store kept.
 *
 * <p>Kafka Streams runs all of it exactly once (v2): the batches sent, the stores' changes and the input
 * offsets commit in one transaction, so a replica killed at any point leaves nothing half done.</p>
 */
final class SamplingProcessor implements Processor<String, byte[], String, byte[]> {
    private static final Logger LOG = Logger.getLogger(SamplingProcessor.class);
    static final String TRAIN_SINK = "train-batches";
    static final String VALIDATION_SINK = "val-batches";
    static final String DEAD_LETTER_SINK = "dead-letters";
    /** How long one punctuation may spend on later epochs, so the task's records are not held up. */
    private static final long REPLAY_NANOS = Duration.ofMillis(200).toNanos();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SamplerConfig config;
    private final SamplingMetrics metrics;
    private ProcessorContext<String, byte[]> context;
    private SamplerStores stores;
    /** Per dataset in its first epoch: the wall-clock time of its last chunk (a restart waits a full quiet period again). */
    private final Map<String, Long> lastChunkAt = new HashMap<>();

    SamplingProcessor(SamplerConfig config, SamplingMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.stores = SamplerStores.of(context);
        context.schedule(config.punctuateEvery(), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(Topics.TOKENS);
        if (Topics.SAMPLING_SPECS.equals(topic)) onSpec(record);
        else onChunk(record);
    }

    // ---------------------------------------------------------------- specs

    /** A spec, from the API or from anyone who can write the topic: checked like a posted one. */
    private void onSpec(Record<String, byte[]> record) {
        String dataset = record.key();
        if (!Names.valid(dataset)) {
            LOG.warnf("a sampling spec under the key %s is ignored: a dataset id must be %s", Names.quoted(dataset), Names.RULE);
            return;
        }
        DatasetProgress current = read(dataset);
        if (current != null && current.phase != DatasetProgress.Phase.WAITING_FOR_TOKENS) {
            LOG.infof("dataset %s is %s: a spec posted for it now is ignored", dataset, current.phase);
            return;
        }
        DatasetProgress next;
        try {
            SamplingSpec spec = JSON.readValue(record.value(), SamplingSpec.class);
            spec.check(config.maxDatasetBytes());
            next = DatasetProgress.start(spec, DatasetProgress.Phase.WAITING_FOR_TOKENS);
        } catch (Exception e) { // unreadable, incomplete, out of range or over today's budget: the dataset fails, with why
            next = DatasetProgress.failed(null, "its sampling spec record is unusable: " + e.getMessage());
        }
        stores.datasets.put(dataset, next.encode());
    }

    // ---------------------------------------------------------------- chunks

    private void onChunk(Record<String, byte[]> record) {
        TokenChunk chunk;
        try {
            chunk = TokenChunk.decode(record.value());
        } catch (RuntimeException e) {
            deadLetter(record, "not a token chunk: " + e.getMessage());
            return;
        }
        String dataset = chunk.datasetId();
        if (!Names.valid(dataset)) {
            deadLetter(record, "dataset id must be " + Names.RULE + ", got " + Names.quoted(dataset));
            return;
        }
        if (!dataset.equals(record.key())) {
            deadLetter(record, "a chunk of dataset " + dataset + " must be keyed by its dataset, so that the dataset stays on one"
                    + " partition; its key is " + Names.quoted(record.key()));
            return;
        }
        DatasetProgress progress = read(dataset);
        if (progress == null) progress = DatasetProgress.start(defaultSpec(), DatasetProgress.Phase.SAMPLING);
        String refused = switch (progress.phase) {
            case FAILED -> "dataset " + dataset + " failed: " + progress.reason;
            case DONE -> "dataset " + dataset + " has been sampled; it takes no more chunks";
            default -> progress.epoch > 0 ? "dataset " + dataset + " ended its first epoch (no chunk for llm.sampler.end-of-data-after);"
                    + " it takes no more chunks" : null;
        };
        if (refused != null) {
            deadLetter(record, refused);
            return;
        }
        DatasetSampler sampler = new DatasetSampler(dataset, progress, stores, config.maxDatasetBytes());
        long windowsBefore = progress.windows, exactBefore = progress.exactDuplicates, nearBefore = progress.nearDuplicates;
        List<TrainingBatch> made;
        try {
            made = sampler.onChunk(chunk);
        } catch (IllegalArgumentException e) {
            write(sampler);
            deadLetter(record, e.getMessage());
            return;
        } catch (VirtualMachineError e) { // the dataset's entries are no longer whole: it fails, the service goes on
            deadLetter(record, fail(dataset, progress.spec, e));
            return;
        }
        write(sampler);
        lastChunkAt.put(dataset, context.currentSystemTimeMs());
        metrics.chunks().increment();
        metrics.windows().increment(progress.windows - windowsBefore);
        metrics.exactDuplicates().increment(progress.exactDuplicates - exactBefore);
        metrics.nearDuplicates().increment(progress.nearDuplicates - nearBefore);
        send(made, record.timestamp());
    }

    private SamplingSpec defaultSpec() {
        return new SamplingSpec(null, null, null, null, null, null, null, null, null, null).resolve(config);
    }

    // ---------------------------------------------------------------- epochs

    /** Ends the first epoch of every dataset that went quiet, and moves the later epochs on. */
    private void punctuate(long now) {
        Map<String, DatasetProgress> sampling = new LinkedHashMap<>(); // read first: the loop below writes the store
        try (var all = stores.datasets.all()) {
            all.forEachRemaining(kv -> {
                DatasetProgress p = DatasetProgress.decode(kv.value);
                if (p.phase == DatasetProgress.Phase.SAMPLING) sampling.put(kv.key, p);
            });
        }
        long deadline = System.nanoTime() + REPLAY_NANOS;
        for (var entry : sampling.entrySet()) {
            String dataset = entry.getKey();
            DatasetProgress progress = entry.getValue();
            DatasetSampler sampler = new DatasetSampler(dataset, progress, stores, config.maxDatasetBytes());
            List<TrainingBatch> made = new ArrayList<>();
            try {
                int epochBefore = progress.epoch;
                if (progress.epoch == 0) {
                    if (!sampler.mayEndEpoch()) continue;
                    Long last = lastChunkAt.putIfAbsent(dataset, now);
                    if (last == null || now - last < config.endOfDataAfter().toMillis()) continue;
                    made.addAll(sampler.endEpoch());
                    lastChunkAt.remove(dataset);
                }
                if (progress.phase == DatasetProgress.Phase.SAMPLING && System.nanoTime() - deadline < 0) made.addAll(sampler.replay(deadline));
                boolean done = progress.phase == DatasetProgress.Phase.DONE;
                if (done || progress.epoch != epochBefore) {
                    LOG.infof("dataset %s: epoch %d of %d done", dataset, done ? sampler.spec.epochs() : progress.epoch, sampler.spec.epochs());
                }
            } catch (RuntimeException | VirtualMachineError e) {
                fail(dataset, progress.spec, e);
                continue;
            }
            write(sampler);
            send(made, now);
        }
    }

    // ---------------------------------------------------------------- output

    private DatasetProgress read(String dataset) {
        byte[] stored = stores.datasets.get(dataset);
        return stored == null ? null : DatasetProgress.decode(stored);
    }

    private void write(DatasetSampler sampler) {
        stores.datasets.put(sampler.dataset, sampler.progress().encode());
    }

    private void send(List<TrainingBatch> batches, long timestamp) {
        for (TrainingBatch b : batches) {
            context.forward(new Record<>(b.key(), b.encode(), timestamp), b.split() == Split.TRAIN ? TRAIN_SINK : VALIDATION_SINK);
            metrics.batches().increment();
        }
    }

    /** Takes a dataset out of sampling for good: its status and later chunks say why. Returns the reason. */
    private String fail(String dataset, SamplingSpec spec, Throwable cause) {
        String reason = cause instanceof VirtualMachineError ? "sampling it failed with " + cause : String.valueOf(cause.getMessage());
        stores.datasets.put(dataset, DatasetProgress.failed(spec, reason).encode());
        LOG.errorf("dataset %s failed and is no longer sampled: %s", dataset, reason);
        return "dataset " + dataset + " failed: " + reason;
    }

    /** The record as it came, to corpus.tokens.dlq, with where it came from and why it was not used. */
    private void deadLetter(Record<String, byte[]> record, String reason) {
        metrics.deadLetters().increment();
        LOG.warnf("token chunk rejected to the dead-letter topic: %s", reason);
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add("dead-letter-reason", reason.getBytes(StandardCharsets.UTF_8));
        context.recordMetadata().ifPresent(m -> {
            headers.add("dead-letter-topic", m.topic().getBytes(StandardCharsets.UTF_8));
            headers.add("dead-letter-partition", Integer.toString(m.partition()).getBytes(StandardCharsets.UTF_8));
            headers.add("dead-letter-offset", Long.toString(m.offset()).getBytes(StandardCharsets.UTF_8));
        });
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), DEAD_LETTER_SINK);
    }
}
