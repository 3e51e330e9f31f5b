package dev.llmsuite.services.inference;

import dev.llmsuite.service.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

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

    private final long kvCapacity;
    private final AtomicLong kvAdmitted = new AtomicLong();

    GenerationGate(InferenceConfig config, MeterRegistry registry) {
        this.capacity = config.maxConcurrent() + config.maxQueue();
        this.kvCapacity = config.maxKvCacheBytes();
        registry.gauge("llm.inference.kv.cache.reserved.bytes", kvAdmitted);
        registry.gauge("llm.inference.queue.depth", admitted, a -> a.get() - active.get());
        registry.gauge("llm.inference.active.sequences", active);
        this.timeToFirstToken = Timer.builder("llm.inference.time.to.first.token").publishPercentiles(0.5, 0.99).register(registry);
        this.interTokenLatency = Timer.builder("llm.inference.inter.token.latency").publishPercentiles(0.5, 0.99).register(registry);
        this.tokens = registry.counter("llm.inference.tokens.generated");
        this.refused = registry.counter("llm.inference.requests.refused");
        this.cancelled = registry.counter("llm.inference.requests.cancelled");
    }

    /** Admits one sequence that needs no KV cache (a classification) or answers 429. */
    Ticket admit() {
        return admit(1, 0);
    }

    /**
     * Admits a generation of {@code sequences} sequences (a request's n choices) whose KV caches may take
     * {@code kvBytes} in all, or answers 429 (413 when it could never fit). Counting sequences alone would let
     * 32 long sequences of a large model take more memory than the service has. The ticket must be closed
     * when the generation ends.
     */
    Ticket admit(int sequences, long kvBytes) {
        if (kvBytes > kvCapacity) {
            throw ProblemException.tooLarge("this generation's KV cache needs " + (kvBytes >> 20) + " MiB; the service has "
                    + (kvCapacity >> 20) + " MiB for all of them (llm.inference.max-kv-cache-bytes): ask fewer max_tokens or choices");
        }
        if (admitted.addAndGet(sequences) > capacity) {
            admitted.addAndGet(-sequences);
            throw refuse("the service is generating at capacity (" + capacity + " sequences running or queued); retry shortly");
        }
        if (kvAdmitted.addAndGet(kvBytes) > kvCapacity) {
            kvAdmitted.addAndGet(-kvBytes);
            admitted.addAndGet(-sequences);
            throw refuse("the KV caches of the generations running and queued take the service's memory for them; retry shortly");
        }
        return new Ticket(sequences, kvBytes);
    }

    private ProblemException refuse(String why) {
        refused.increment();
        return ProblemException.tooManyRequests(why, 1);
    }

    /** One admitted generation. */
    final class Ticket implements AutoCloseable {
        private final int sequences;
        private final long kvBytes;
        private final long admittedAt = System.nanoTime();
        private long lastToken;
        private boolean running;
        private boolean closed;

        private Ticket(int sequences, long kvBytes) {
            this.sequences = sequences;
            this.kvBytes = kvBytes;
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
            kvAdmitted.addAndGet(-kvBytes);
        }
    }
}
