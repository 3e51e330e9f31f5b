package dev.llmsuite.engine.generate;

import dev.llmsuite.engine.backend.Tensor;

/**
 * One sequence's keys and values as a {@link BatchDecoder} keeps them: GPT-2's {@link KvCache}, Llama's
 * {@code LlamaCache}. {@link #length()} positions are filled, at most {@link #capacity()}.
 */
public interface SequenceCache extends AutoCloseable {
    int length();

    int capacity();

    /**
     * Sets how many positions are filled: forgets every position from n on (a pool hands the cache to the next
     * sequence with 0), or, after a {@link PrefixCache} copied keys and values in, counts them.
     */
    void setLength(int n);

    /** One layer's keys, [capacity, width] row-major (rotated for Llama): what a {@link PrefixCache} copies. */
    Tensor keys(int layer);

    /** One layer's values, [capacity, width] row-major. */
    Tensor values(int layer);

    /** The memory keys and values take. */
    long bytes();

    /** Gives the memory back to the backend. */
    @Override
    void close();
}
