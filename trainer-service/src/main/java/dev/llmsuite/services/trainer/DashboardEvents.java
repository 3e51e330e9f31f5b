package dev.llmsuite.services.trainer;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dashboard's live stream: every view ({@link MetricsHistory}, {@link ModelHistory}) publishes here what it
 * reads from Kafka, and each open page gets it. Each watcher may fall {@link #MAX_PENDING} events behind (a burst: a
 * step, its checkpoint, the evaluation, a promotion, while the stream writes the previous one); one that falls further
 * has its stream ended rather than events silently skipped, and the page reloads the history when it reconnects. So a
 * stalled browser holds at most that much memory here, and a live page never misses a point; at most
 * {@link #MAX_WATCHERS} pages watch at once.
 */
@ApplicationScoped
public class DashboardEvents {
    static final int MAX_WATCHERS = 64;
    /** Events one watcher may be behind before its stream ends (a few hundred bytes each). */
    static final int MAX_PENDING = 1024;
    private final BroadcastProcessor<DashboardEvent> processor = BroadcastProcessor.create();
    private final AtomicInteger watchers = new AtomicInteger();

    /** From the views' consumer threads; the processor takes one item at a time, so they take turns. */
    synchronized void publish(DashboardEvent event) {
        processor.onNext(event);
    }

    /** A new watcher's stream; empty (and false from {@link #admit}) when too many watch already. */
    boolean admit() {
        if (watchers.incrementAndGet() <= MAX_WATCHERS) return true;
        watchers.decrementAndGet();
        return false;
    }

    Multi<DashboardEvent> stream() {
        return processor.onOverflow().buffer(MAX_PENDING) // beyond it the stream fails, and ends
                .onFailure().recoverWithCompletion()
                .onTermination().invoke(watchers::decrementAndGet);
    }
}
