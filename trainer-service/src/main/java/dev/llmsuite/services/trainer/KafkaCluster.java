package dev.llmsuite.services.trainer;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.jboss.logging.Logger;

/**
 * The id of the Kafka cluster the trainer reads. A checkpoint records it: its topic positions mean
 * something only on that cluster (a fresh local broker starts its topics at offset 0 again).
 */
final class KafkaCluster {
    private static final Logger LOG = Logger.getLogger(KafkaCluster.class);

    private KafkaCluster() {}

    /** The cluster id, or null when the broker does not answer within 10 s. */
    static String id(String bootstrapServers) {
        Map<String, Object> props = Map.of("bootstrap.servers", bootstrapServers, "request.timeout.ms", 10_000,
                "default.api.timeout.ms", 10_000);
        try (Admin admin = Admin.create(props)) {
            return admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warnf("cannot read the Kafka cluster id at %s (%s): checkpoints resume without that check", bootstrapServers, e);
            return null;
        }
    }
}
