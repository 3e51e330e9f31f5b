package dev.llmsuite.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The end-to-end tests' look at a topic: records with one key, read from the start by a fresh group. */
final class KafkaReads {
    private KafkaReads() {}

    /** At least {@code atLeast} records keyed {@code key} on {@code topic}, within {@code deadline}; fails otherwise. */
    static List<ConsumerRecord<String, byte[]>> read(String bootstrap, String topic, String key, int atLeast, Duration deadline) {
        Map<String, Object> config = Map.of("bootstrap.servers", bootstrap,
                "group.id", "e2e-" + UUID.randomUUID(), "auto.offset.reset", "earliest");
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long end = System.nanoTime() + deadline.toNanos();
            while (found.size() < atLeast && System.nanoTime() < end) {
                for (var r : consumer.poll(Duration.ofMillis(250))) if (key.equals(r.key())) found.add(r);
            }
        }
        assertFalse(found.size() < atLeast, "expected " + atLeast + " records keyed " + key + " on " + topic + ", got " + found.size());
        return found;
    }
}
