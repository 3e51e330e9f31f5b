package dev.llmsuite.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Topics;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What the trainers reported on {@code training.metrics}, read back by the end-to-end tests. */
final class TrainingMetrics {
    private TrainingMetrics() {}

    /**
     * (epoch, batch) → the losses trained on it, for one dataset, read until {@code batches} distinct batches are
     * there (a batch trained again after a crash appears twice), or 60 s pass.
     */
    static Map<String, List<Double>> lossesByBatch(String bootstrapServers, String dataset, int batches) throws IOException {
        Map<String, List<Double>> out = new TreeMap<>();
        Map<String, Object> config = Map.of("bootstrap.servers", bootstrapServers,
                "group.id", "e2e-" + UUID.randomUUID(), "auto.offset.reset", "earliest");
        ObjectMapper json = new ObjectMapper();
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.TRAINING_METRICS));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < batches && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(250))) {
                    if (!dataset.equals(r.key())) continue;
                    JsonNode m = json.readTree(r.value());
                    out.computeIfAbsent(m.get("epoch").asInt() + "/" + m.get("batch").asInt(), k -> new ArrayList<>())
                            .add(m.get("loss").asDouble());
                }
            }
        }
        return out;
    }
}
