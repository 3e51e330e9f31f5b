package dev.llmsuite.engine.generate;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.IntFunction;

/**
 * Finished sequences' KV caches (any model's {@link SequenceCache}), kept for the next sequences instead of freed: a GPT-2 124M cache for a full context
 * is 75 MB, and allocating (zeroing) one per request, then collecting it, costs more than many decode steps. A cache
 * is reused for a request that needs between its capacity − slack and its capacity (best fit: the smallest that fits),
 * so a short request never holds a long one's memory for long. At most {@code budgetBytes} are kept; beyond it the
 * oldest are freed. Stale keys and values are never read: attention reads positions below the length, each written
 * before. Not thread-safe: one scheduler thread owns it.
 */
public final class KvCachePool<C extends SequenceCache> implements AutoCloseable {
    private final IntFunction<C> factory;
    private final long budgetBytes;
    private final ArrayDeque<C> kept = new ArrayDeque<>(); // oldest first
    private long keptBytes;
    private long reused;

    /** @param factory a new empty cache of exactly the capacity asked ({@link BatchDecoder#newCache}) */
    public KvCachePool(IntFunction<C> factory, long budgetBytes) {
        if (budgetBytes < 0) throw new IllegalArgumentException("a negative budget");
        this.factory = factory;
        this.budgetBytes = budgetBytes;
    }

    /** An empty cache for at least capacity positions: a kept one that fits best, or a new one of exactly that. */
    public C take(int capacity) {
        int slack = Math.max(64, capacity / 4);
        C best = null;
        for (C c : kept) {
            if (c.capacity() >= capacity && c.capacity() <= capacity + slack && (best == null || c.capacity() < best.capacity())) best = c;
        }
        if (best == null) return factory.apply(capacity);
        kept.remove(best);
        keptBytes -= best.bytes();
        best.setLength(0);
        reused++;
        return best;
    }

    /** Takes a cache back (its sequence is done): kept while the budget allows, the oldest kept freed to make room. */
    public void give(C cache) {
        if (cache.bytes() > budgetBytes) {
            cache.close();
            return;
        }
        for (Iterator<C> it = kept.iterator(); it.hasNext() && keptBytes + cache.bytes() > budgetBytes; ) {
            C oldest = it.next();
            it.remove();
            keptBytes -= oldest.bytes();
            oldest.close();
        }
        kept.addLast(cache);
        keptBytes += cache.bytes();
    }

    public long keptBytes() { return keptBytes; }

    /** Caches handed out from the pool rather than made new. */
    public long reused() { return reused; }

    /** Frees every kept cache. */
    @Override
    public void close() {
        for (C c : kept) c.close();
        kept.clear();
        keptBytes = 0;
    }
}
