package dev.llmsuite.services.sampler;

import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a dataset's chunks again from the token topic for a later epoch: each partition from the first
 * to the last offset the first epoch saw, partition by partition, keeping the dataset's records only.
 * A consumer of its own (no group, nothing committed), so the live consumer is never disturbed.
 */
final class EpochReplay {
    interface ChunkHandler {
        void accept(TokenChunk chunk, int partition, long offset);
    }

    private EpochReplay() {}

    static void replay(String bootstrapServers, Map<Integer, long[]> ranges, String dataset, ChunkHandler handler) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        String prefix = dataset + "/";
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            for (var e : new TreeMap<>(ranges).entrySet()) {
                TopicPartition tp = new TopicPartition(Topics.TOKENS, e.getKey());
                long first = e.getValue()[0], last = e.getValue()[1];
                consumer.assign(List.of(tp));
                consumer.seek(tp, first);
                long position = first;
                while (position <= last) {
                    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
                    consumer.poll(Duration.ofMillis(500)).records(tp).forEach(records::add);
                    for (ConsumerRecord<String, byte[]> r : records) {
                        position = r.offset() + 1;
                        if (r.offset() > last) break;
                        if (r.key() != null && r.key().startsWith(prefix)) {
                            handler.accept(TokenChunk.decode(r.value()), e.getKey(), r.offset());
                        }
                    }
                    if (records.isEmpty()) position = Math.max(position, consumer.position(tp));
                }
            }
        }
    }
}
