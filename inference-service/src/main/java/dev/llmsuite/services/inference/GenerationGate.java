package dev.llmsuite.services.inference;

import dev.llmsuite.service.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission and the serving metrics. At most {@code max-concurrent + max-queue} generations are
 * admitted; one more is answered 429 with Retry-After, so load beyond capacity is refused at once
 * instead of piling up threads and memory. Each admitted generation carries a {@link Ticket} that
 * times the first token and the gaps between tokens.
 */
@ApplicationScoped
public class GenerationGate {
    private final int capacity;
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicInteger active = new AtomicInteger();
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Counter tokens;
    private final Counter refused;
    private final Counter cancelled;

    GenerationGate(InferenceConfig config, MeterRegistry registry) {
        this.capacity = config.maxConcurrent() + config.maxQueue();
        registry.gauge("llm.inference.queue.depth", admitted, a -> a.get() - active.get());
        registry.gauge("llm.inference.active.sequences", active);
        this.timeToFirstToken = Timer.builder("llm.inference.time.to.first.token").publishPercentiles(0.5, 0.99).register(registry);
        this.interTokenLatency = Timer.builder("llm.inference.inter.token.latency").publishPercentiles(0.5, 0.99).register(registry);
        this.tokens = registry.counter("llm.inference.tokens.generated");
        this.refused = registry.counter("llm.inference.requests.refused");
        this.cancelled = registry.counter("llm.inference.requests.cancelled");
    }

    /** Admits a generation of one sequence or answers 429. */
    Ticket admit() {
        return admit(1);
    }

    /**
     * Admits a generation of {@code sequences} sequences (a request's n choices) or answers 429. The
     * ticket must be closed when the generation ends.
     */
    Ticket admit(int sequences) {
        if (admitted.addAndGet(sequences) > capacity) {
            admitted.addAndGet(-sequences);
            refused.increment();
            throw ProblemException.tooManyRequests("the service is generating at capacity (" + capacity
                    + " sequences running or queued); retry shortly", 1);
        }
        return new Ticket(sequences);
    }

    /** One admitted generation. */
    final class Ticket implements AutoCloseable {
        private final int sequences;
        private final long admittedAt = System.nanoTime();
        private long lastToken;
        private boolean running;
        private boolean closed;

        private Ticket(int sequences) {
            this.sequences = sequences;
        }

        /** The generation got the model and starts. */
        void start() {
            running = true;
            active.addAndGet(sequences);
        }

        /** A token was made (on the decode thread, which makes every token of a ticket). */
        void token() {
            long now = System.nanoTime();
            if (lastToken == 0) timeToFirstToken.record(Duration.ofNanos(now - admittedAt));
            else interTokenLatency.record(Duration.ofNanos(now - lastToken));
            lastToken = now;
            tokens.increment();
        }

        /** The generation stopped early because its client left. */
        void cancelled() {
            cancelled.increment();
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            if (running) active.addAndGet(-sequences);
            admitted.addAndGet(-sequences);
        }
    }
}
