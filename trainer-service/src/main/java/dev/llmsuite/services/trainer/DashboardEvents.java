package dev.llmsuite.services.trainer;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dashboard's live stream: every view ({@link MetricsHistory}, {@link ModelHistory}) publishes here what it
 * reads from Kafka, and each open page gets it. A page that reads slower than events arrive loses the excess
 * (it reloads history on reconnect), so a stalled browser never holds memory here; at most
 * {@link #MAX_WATCHERS} pages watch at once.
 */
@ApplicationScoped
public class DashboardEvents {
    static final int MAX_WATCHERS = 64;
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
        return processor.onOverflow().drop()
                .onTermination().invoke(watchers::decrementAndGet);
    }
}
