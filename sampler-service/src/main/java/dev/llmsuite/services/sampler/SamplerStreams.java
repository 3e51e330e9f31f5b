package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Topics;
import dev.llmsuite.service.ProblemException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * This replica's Kafka Streams instance running the {@link SamplingTopology}: started with the service,
 * closed with it. Kafka Streams spreads the partitions (so the datasets) over the replicas through its consumer
 * group, commits exactly once (v2), and moves a task with its stores when a replica leaves or joins. This class
 * only asks it where a dataset lives ({@link #progress}) and posts specs ({@link #post}).
 */
@ApplicationScoped
public class SamplerStreams {
    private static final Logger LOG = Logger.getLogger(SamplerStreams.class);
    private static final StringSerializer KEYS = new StringSerializer();

    private final SamplerConfig config;
    private final String bootstrapServers;
    private final MeterRegistry registry;
    private final HostInfo self;
    private KafkaStreams streams;
    private KafkaProducer<String, byte[]> specs;
    private KafkaStreamsMetrics streamsMetrics;

    SamplerStreams(SamplerConfig config, MeterRegistry registry, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.registry = registry;
        this.bootstrapServers = bootstrapServers;
        URI advertised = URI.create(config.advertisedUrl());
        this.self = new HostInfo(advertised.getHost(), advertised.getPort());
    }

    void onStart(@Observes StartupEvent e) {
        checkCopartitioned();
        streams = new KafkaStreams(SamplingTopology.build(config, SamplingMetrics.in(registry)), properties());
        streams.setUncaughtExceptionHandler(error -> {
            LOG.errorf(error, "a sampler stream thread failed; Kafka Streams replaces it and its tasks go on from their last commit");
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        streams.start();
        specs = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new ByteArraySerializer());
    }

    void onStop(@Observes ShutdownEvent e) {
        if (specs != null) specs.close(Duration.ofSeconds(5));
        if (streamsMetrics != null) streamsMetrics.close();
        if (streams != null) streams.close(Duration.ofSeconds(30));
    }

    private Properties properties() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
        p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
        p.put(BoundedRocksDbMemory.MEMORY_BYTES, Long.toString(config.rocksdbMemoryBytes()));
        // a replica that died leaves the group within 10 s, so its tasks move soon
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 16 << 20);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 64 << 20);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), 16 << 20);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        return p;
    }

    /**
     * A dataset's spec and its chunks must reach the same task: corpus.tokens and sampling.specs need as many
     * partitions as each other. Checked at start (when the broker answers); a mismatch stops the service with why.
     */
    private void checkCopartitioned() {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers, "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 10_000))) {
            Map<String, TopicDescription> topics = admin.describeTopics(List.of(Topics.TOKENS, Topics.SAMPLING_SPECS)).allTopicNames()
                    .get(15, TimeUnit.SECONDS);
            int tokens = topics.get(Topics.TOKENS).partitions().size(), specPartitions = topics.get(Topics.SAMPLING_SPECS).partitions().size();
            if (tokens != specPartitions) {
                throw new IllegalStateException(Topics.TOKENS + " has " + tokens + " partitions and " + Topics.SAMPLING_SPECS + " "
                        + specPartitions + ": give them the same count, so that a dataset's spec reaches the task that samples it");
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            LOG.warnf("could not compare the partitions of %s and %s: %s", Topics.TOKENS, Topics.SAMPLING_SPECS, e.toString());
        }
    }

    /** Where Kafka Streams stands: RUNNING when this replica has its tasks and answers for them. */
    KafkaStreams.State state() {
        return streams == null ? KafkaStreams.State.CREATED : streams.state();
    }

    /** Where a dataset is answered for: here (the stored progress, if any), or at another replica's URL. */
    sealed interface Owner permits Here, Elsewhere {}

    record Here(Optional<DatasetProgress> progress) implements Owner {}

    record Elsewhere(String baseUrl) implements Owner {}

    /** The dataset's owner; 503 while Kafka Streams is not running or the dataset's partition has no owner (a rebalance). */
    Owner progress(String dataset) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                KeyQueryMetadata where = streams.queryMetadataForKey(SamplerStores.DATASETS, dataset, KEYS);
                if (where != null && where != KeyQueryMetadata.NOT_AVAILABLE && streams.state() == KafkaStreams.State.RUNNING) {
                    if (!where.activeHost().equals(self)) {
                        return new Elsewhere("http://" + where.activeHost().host() + ":" + where.activeHost().port());
                    }
                    ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(SamplerStores.DATASETS,
                            QueryableStoreTypes.<String, byte[]>keyValueStore()).withPartition(where.partition()));
                    return new Here(Optional.ofNullable(store.get(dataset)).map(DatasetProgress::decode));
                }
            } catch (InvalidStateStoreException | IllegalStateException e) {
                // a rebalance or a restore is under way: ask again
            }
            if (System.nanoTime() - deadline > 0) {
                throw new ProblemException(503, "the sampler's datasets are moving between replicas or being restored (Kafka Streams is "
                        + state() + "); try again shortly");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProblemException(503, "interrupted");
            }
        }
    }

    /** Puts a spec on sampling.specs, keyed by its dataset; the task that owns the dataset takes it from there. */
    void post(String dataset, byte[] specJson) {
        try {
            specs.send(new ProducerRecord<>(Topics.SAMPLING_SPECS, dataset, specJson)).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new ProblemException(503, "the spec could not be written to " + Topics.SAMPLING_SPECS + ": " + e.getMessage());
        }
    }
}
