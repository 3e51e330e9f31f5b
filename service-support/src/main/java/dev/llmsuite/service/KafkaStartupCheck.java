package dev.llmsuite.service;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Fails fast, in one line, when the Kafka broker cannot be reached at startup: a service that cannot
 * talk to Kafka has nothing to do, and a wall of reconnect warnings hides the cause.
 */
public class KafkaStartupCheck {
    private static final Logger LOG = Logger.getLogger(KafkaStartupCheck.class);

    void onStart(@Observes StartupEvent event, SuiteConfig config,
                 @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrap) {
        if (!config.checkOnStart()) return;
        long timeoutMs = config.startTimeout().toMillis();
        Map<String, Object> props = Map.of(
                "bootstrap.servers", bootstrap,
                "request.timeout.ms", (int) Math.min(timeoutMs, Integer.MAX_VALUE),
                "default.api.timeout.ms", (int) Math.min(timeoutMs, Integer.MAX_VALUE));
        try (Admin admin = Admin.create(props)) {
            int nodes = admin.describeCluster().nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
            LOG.infof("Kafka reachable at %s (%d node%s)", bootstrap, nodes, nodes == 1 ? "" : "s");
        } catch (Exception e) {
            LOG.errorf("Kafka broker unreachable at %s within %d s; set kafka.bootstrap.servers (stopping)",
                    bootstrap, timeoutMs / 1000);
            Quarkus.asyncExit(3);
        }
    }
}
