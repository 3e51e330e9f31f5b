package dev.llmsuite.services.sampler;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * Kafka Streams' state as health: live unless it has failed for good (ERROR, or shutting down after one); ready
 * while it runs its tasks (RUNNING, or REBALANCING: the tasks it keeps go on during a rebalance).
 */
final class SamplerStreamsHealth {
    private SamplerStreamsHealth() {}

    private static HealthCheckResponse of(String name, KafkaStreams.State state, Set<KafkaStreams.State> up) {
        return HealthCheckResponse.named(name).status(up.contains(state)).withData("state", state.name()).build();
    }

    @Liveness
    @ApplicationScoped
    static class Live implements HealthCheck {
        private final SamplerStreams streams;

        Live(SamplerStreams streams) {
            this.streams = streams;
        }

        @Override
        public HealthCheckResponse call() {
            return of("sampler-streams", streams.state(), Set.of(KafkaStreams.State.CREATED, KafkaStreams.State.REBALANCING,
                    KafkaStreams.State.RUNNING));
        }
    }

    @Readiness
    @ApplicationScoped
    static class Ready implements HealthCheck {
        private final SamplerStreams streams;

        Ready(SamplerStreams streams) {
            this.streams = streams;
        }

        @Override
        public HealthCheckResponse call() {
            return of("sampler-streams", streams.state(), Set.of(KafkaStreams.State.RUNNING, KafkaStreams.State.REBALANCING));
        }
    }
}
