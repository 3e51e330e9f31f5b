package dev.llmsuite.services.sampler;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The sampling topology in Kafka Streams' TopologyTestDriver: the real processor and RocksDB stores, the topics
 * simulated, the wall clock moved by hand (so epochs end when the test says). One dataset per call, as the tests use it.
 */
final class SamplingDriver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The service's settings as tests set them; the quiet period 1 s. */
    record Config(long maxDatasetBytes) implements SamplerConfig {
        public int maxLength() { return 256; }
        public int stride() { return 256; }
        public int batchSize() { return 8; }
        public double trainFraction() { return 0.9; }
        public long seed() { return 123; }
        public int epochs() { return 1; }
        public int shuffleBuffer() { return 1000; }
        public boolean dedup() { return true; }
        public Duration endOfDataAfter() { return Duration.ofSeconds(1); }
        public Duration punctuateEvery() { return Duration.ofMillis(250); }
        public String applicationId() { return "sampler-test"; }
        public String stateDir() { return ""; }
        public String advertisedUrl() { return "http://localhost:1"; }
        public int standbyReplicas() { return 0; }
        public long rocksdbMemoryBytes() { return 64L << 20; }
    }

    private final Path stateDir;
    private final TopologyTestDriver driver;
    private final TestInputTopic<String, byte[]> tokens;
    private final TestInputTopic<String, byte[]> specs;
    private final TestOutputTopic<String, byte[]> train;
    private final TestOutputTopic<String, byte[]> validation;
    private final TestOutputTopic<String, byte[]> deadLetters;
    final Config config;

    SamplingDriver() {
        this(512L << 20);
    }

    SamplingDriver(long maxDatasetBytes) {
        try {
            stateDir = Files.createTempDirectory("sampler-driver");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        config = new Config(maxDatasetBytes);
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "sampler-test");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class); // the service's store settings
        driver = new TopologyTestDriver(SamplingTopology.build(config, SamplingMetrics.in(new SimpleMeterRegistry())), p);
        tokens = driver.createInputTopic(Topics.TOKENS, new StringSerializer(), new ByteArraySerializer());
        specs = driver.createInputTopic(Topics.SAMPLING_SPECS, new StringSerializer(), new ByteArraySerializer());
        train = driver.createOutputTopic(Topics.TRAIN_BATCHES, new StringDeserializer(), new ByteArrayDeserializer());
        validation = driver.createOutputTopic(Topics.VAL_BATCHES, new StringDeserializer(), new ByteArrayDeserializer());
        deadLetters = driver.createOutputTopic(Topics.TOKENS_DLQ, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Posts a spec as the API does: resolved, as JSON, keyed by the dataset. */
    SamplingDriver spec(String dataset, SamplingSpec spec) {
        try {
            specs.pipeInput(dataset, JSON.writeValueAsBytes(spec.resolve(config)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    void specBytes(String dataset, byte[] value) {
        specs.pipeInput(dataset, value);
    }

    /** A chunk, keyed by its dataset; returns the batches it completed (training, then validation). */
    List<TrainingBatch> chunk(TokenChunk c) {
        return record(c.key(), c.encode());
    }

    /** Any record on corpus.tokens; returns the batches it completed. */
    List<TrainingBatch> record(String key, byte[] value) {
        tokens.pipeInput(key, value);
        return sent();
    }

    /** A document of dataset d in chunks of the given size. */
    List<TrainingBatch> feed(String dataset, String doc, int[] ids, int chunk) {
        List<TrainingBatch> out = new ArrayList<>();
        for (int i = 0, seq = 0; i < ids.length; i += chunk, seq++) {
            int[] part = Arrays.copyOfRange(ids, i, Math.min(ids.length, i + chunk));
            out.addAll(chunk(new TokenChunk(dataset, doc, seq, i + chunk >= ids.length, "h", part)));
        }
        return out;
    }

    /** Moves the wall clock on until the dataset is done (its first epoch ends when quiet, later ones replay); the batches sent. */
    List<TrainingBatch> runToEnd(String dataset) {
        List<TrainingBatch> out = new ArrayList<>();
        for (int tick = 0; tick < 100_000; tick++) {
            driver.advanceWallClockTime(config.punctuateEvery());
            out.addAll(sent());
            DatasetProgress p = progress(dataset);
            if (p != null && p.phase != DatasetProgress.Phase.SAMPLING) return out;
        }
        throw new AssertionError("dataset " + dataset + " did not finish");
    }

    /** What was sent since the last call: training batches, then validation batches, each in the order sent. */
    List<TrainingBatch> sent() {
        List<TrainingBatch> out = new ArrayList<>();
        train.readValuesToList().forEach(v -> out.add(TrainingBatch.decode(v)));
        validation.readValuesToList().forEach(v -> out.add(TrainingBatch.decode(v)));
        return out;
    }

    List<TestRecord<String, byte[]>> deadLetters() {
        return deadLetters.readRecordsToList();
    }

    DatasetProgress progress(String dataset) {
        byte[] stored = driver.<String, byte[]>getKeyValueStore(SamplerStores.DATASETS).get(dataset);
        return stored == null ? null : DatasetProgress.decode(stored);
    }

    SamplingStatus status(String dataset) {
        DatasetProgress p = progress(dataset);
        return p == null ? null : DatasetSampler.status(dataset, p, config.maxDatasetBytes());
    }

    @Override
    public void close() {
        driver.close();
        try (Stream<Path> files = Files.walk(stateDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
