package dev.llmsuite.services.inference;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loaded model's weights and who decodes on them: its own scheduler and the schedulers of the adapter
 * views built on it. The weights go back to the backend only when the last of them has drained, so a
 * replaced checkpoint never disappears under a request still running on an adapter view.
 */
final class SharedWeights {
    private final Runnable release;
    private final AtomicInteger users = new AtomicInteger(1); // the owner's own scheduler

    /** @param release gives the model's weights back (and its decoder's copies, which the views read too) */
    SharedWeights(Runnable release) {
        this.release = release;
    }

    /** One more scheduler decodes on these weights. */
    void join() {
        // compare-and-set: once released (0 users) the count stays 0, so no later join can succeed on freed weights
        int n;
        do {
            n = users.get();
            if (n <= 0) throw new IllegalStateException("weights already released");
        } while (!users.compareAndSet(n, n + 1));
    }

    /** A scheduler on these weights has drained; the last one gives them back. */
    void leave() {
        if (users.decrementAndGet() == 0) release.run();
    }
}
