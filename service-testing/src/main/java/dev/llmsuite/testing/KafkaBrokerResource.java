package dev.llmsuite.testing;

import dev.llmsuite.kafka.EmbeddedKafka;
import dev.llmsuite.records.Topics;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * A real Apache Kafka broker (KRaft) for a {@code @QuarkusTest}: started in a child JVM before the
 * application, stopped after it. Every topic of the suite exists before the first test runs, with one
 * partition unless the init argument {@code partitions} says otherwise ({@code "train.batches:2,val.batches:2"}).
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

    private static volatile String bootstrapServers;
    private EmbeddedKafka kafka;
    private Map<String, Integer> partitions = Map.of();

    @Override
    public void init(Map<String, String> initArgs) {
        String arg = initArgs.getOrDefault("partitions", "");
        Map<String, Integer> counts = new HashMap<>();
        for (String entry : arg.split(",")) {
            if (entry.isBlank()) continue;
            String[] topicAndCount = entry.strip().split(":");
            counts.put(topicAndCount[0], Integer.parseInt(topicAndCount[1]));
        }
        partitions = Map.copyOf(counts);
    }

    @Override
    public Map<String, String> start() {
        kafka = EmbeddedKafka.start(EmbeddedKafka.Options.defaults().withTopics(Topics.ALL).withPartitionsOf(partitions));
        bootstrapServers = kafka.bootstrapServers();
        System.out.println("[test] Apache Kafka (KRaft) broker ready on " + bootstrapServers
                + " in " + kafka.startMillis() + " ms, pid " + kafka.pid());
        return Map.of("kafka.bootstrap.servers", bootstrapServers);
    }

    @Override
    public void stop() {
        if (kafka != null) kafka.close();
    }

    /** The running broker's address, for a test's own producer or consumer. */
    public static String bootstrapServers() {
        if (bootstrapServers == null) throw new IllegalStateException("the Kafka test broker is not running");
        return bootstrapServers;
    }
}
