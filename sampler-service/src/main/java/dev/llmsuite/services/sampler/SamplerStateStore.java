package dev.llmsuite.services.sampler;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Topics;
import dev.llmsuite.service.KafkaMessages;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * The datasets' {@link SamplerState}s on {@code sampler.state}: written after each step that sent batches
 * (and before the chunk that made them is acknowledged), read back whole when the service starts, together
 * with how far the live consumer group has committed on {@code corpus.tokens}.
 */
@ApplicationScoped
class SamplerStateStore {
    private final MutinyEmitter<byte[]> out;
    private final ObjectMapper json;
    private final String bootstrapServers;
    private final String tokensGroup;

    SamplerStateStore(@Channel("sampler-state") MutinyEmitter<byte[]> out, ObjectMapper json,
                      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                      @ConfigProperty(name = "mp.messaging.incoming.tokens.group.id") String tokensGroup) {
        this.out = out;
        this.json = json;
        this.bootstrapServers = bootstrapServers;
        this.tokensGroup = tokensGroup;
    }

    Uni<Void> write(SamplerState state) {
        try {
            return out.sendMessage(KafkaMessages.keyed(state.dataset(), json.writeValueAsBytes(state)));
        } catch (IOException e) {
            return Uni.createFrom().failure(new UncheckedIOException(e));
        }
    }

    /** What the topic holds: each dataset's newest state, or why its newest record is not one. */
    record Stored(Map<String, SamplerState> states, Map<String, String> unreadable) {}

    /** Every dataset's newest state, read from the beginning of the topic to its end. */
    Stored readAll() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, SamplerState> newest = new HashMap<>();
        Map<String, String> unreadable = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.SAMPLER_STATE, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < ends.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.key() == null || r.value() == null) continue;
                    try {
                        newest.put(r.key(), json.readValue(r.value(), SamplerState.class));
                        unreadable.remove(r.key());
                    } catch (IOException e) { // anyone may write to the topic: that dataset fails, not the sampler
                        newest.remove(r.key());
                        unreadable.put(r.key(), "its stored state at offset " + r.offset() + " is unreadable: " + e.getMessage());
                    }
                }
            }
        }
        return new Stored(newest, unreadable);
    }

    /** How many partitions corpus.tokens has (0 if it does not exist yet). */
    int tokenPartitions() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            return consumer.partitionsFor(Topics.TOKENS, Duration.ofSeconds(30)).size();
        }
    }

    /** partition → the live consumer group's committed offset on corpus.tokens (absent: none committed). */
    Map<Integer, Long> committedTokenOffsets() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(tokensGroup)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<Integer, Long> committed = new HashMap<>();
            offsets.forEach((tp, o) -> {
                if (o != null && tp.topic().equals(Topics.TOKENS)) committed.put(tp.partition(), o.offset());
            });
            return committed;
        }
    }
}
