package dev.llmsuite.engine.generate;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.model.GptConfig;

/**
 * Keys and values of every position seen so far, per layer ([L, maxT, C] each), so a decode step
 * computes only the new position. {@link #length()} positions are filled.
 */
public final class KvCache implements SequenceCache {
    private final ComputeBackend be;
    private final Tensor keys, values;
    private final int layers, maxT, c;
    private int length;
    private boolean closed;

    public KvCache(ComputeBackend be, GptConfig cfg) {
        this(be, cfg, cfg.contextLength());
    }

    /** A cache for at most capacity positions (≤ the context): a server sizes it to prompt + max tokens. */
    public KvCache(ComputeBackend be, GptConfig cfg, int capacity) {
        if (capacity <= 0 || capacity > cfg.contextLength()) {
            throw new IllegalArgumentException("capacity " + capacity + " outside [1, " + cfg.contextLength() + "]");
        }
        this.be = be;
        this.layers = cfg.layers();
        this.maxT = capacity;
        this.c = cfg.embeddingDim();
        this.keys = be.allocate((long) layers * maxT * c);
        this.values = be.allocate((long) layers * maxT * c);
    }

    @Override
    public Tensor keys(int layer) { return be.slice(keys, (long) layer * maxT * c, (long) maxT * c); }

    @Override
    public Tensor values(int layer) { return be.slice(values, (long) layer * maxT * c, (long) maxT * c); }

    @Override
    public int length() { return length; }

    @Override
    public int capacity() { return maxT; }

    /** Positions a generation of up to maxNewTokens after a prompt can fill: a cache that size never ends it early. */
    public static int capacityFor(int contextLength, int promptLength, int maxNewTokens) {
        return (int) Math.min(contextLength, (long) promptLength + maxNewTokens);
    }

    /** The memory keys and values take. */
    @Override
    public long bytes() { return 2L * layers * maxT * c * Float.BYTES; }

    /**
     * The suite's one rule at a full context (the library's {@link Generator} and inference-service's scheduler
     * alike): a sequence ends when its cache is full, after the token that the last position's logits chose. It
     * never slides past the context (the book's generate() crops and recomputes instead; OpenAI's API ends with
     * finish_reason "length", as inference-service does).
     */
    public boolean full() { return length >= maxT; }

    @Override
    public void setLength(int n) {
        if (n < 0 || n > maxT) throw new IllegalArgumentException("cache length " + n + " outside [0, " + maxT + "]");
        this.length = n;
    }

    /** Gives the cache's memory back to the backend (a device backend reuses it). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        be.release(keys);
        be.release(values);
    }
}
