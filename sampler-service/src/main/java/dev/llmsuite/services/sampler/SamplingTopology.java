package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Topics;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * sampler-service's Kafka Streams topology:
 *
 * <pre>
 * corpus.tokens ──┐                                 ┌──▶ train.batches
 *                 ├──▶ sample ({@link SamplingProcessor}) ──┼──▶ val.batches
 * sampling.specs ─┘     │ five stores ({@link SamplerStores})  └──▶ corpus.tokens.dlq
 * </pre>
 *
 * Both inputs are keyed by dataset and partitioned alike, so task p holds the datasets of partition p with their
 * specs and state. Stores are RocksDB with a changelog topic each, cached, records up to 16 MiB.
 */
final class SamplingTopology {
    static final String MAX_RECORD_BYTES = Integer.toString(16 << 20);

    private SamplingTopology() {}

    static Topology build(SamplerConfig config, SamplingMetrics metrics) {
        Topology topology = new Topology();
        topology.addSource("chunks", new StringDeserializer(), new ByteArrayDeserializer(), Topics.TOKENS);
        topology.addSource("specs", new StringDeserializer(), new ByteArrayDeserializer(), Topics.SAMPLING_SPECS);
        topology.addProcessor("sample", () -> new SamplingProcessor(config, metrics), "chunks", "specs");
        for (String store : SamplerStores.ALL) {
            topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), Serdes.ByteArray())
                    .withCachingEnabled().withLoggingEnabled(Map.of("max.message.bytes", MAX_RECORD_BYTES)), "sample");
        }
        topology.addSink(SamplingProcessor.TRAIN_SINK, Topics.TRAIN_BATCHES, new StringSerializer(), new ByteArraySerializer(), "sample");
        topology.addSink(SamplingProcessor.VALIDATION_SINK, Topics.VAL_BATCHES, new StringSerializer(), new ByteArraySerializer(), "sample");
        topology.addSink(SamplingProcessor.DEAD_LETTER_SINK, Topics.TOKENS_DLQ, new StringSerializer(), new ByteArraySerializer(), "sample");
        return topology;
    }
}
