package dev.llmsuite.engine.generate;

/**
 * One sequence's keys and values as a {@link BatchDecoder} keeps them: GPT-2's {@link KvCache}, Llama's
 * {@code LlamaCache}. {@link #length()} positions are filled, at most {@link #capacity()}.
 */
public interface SequenceCache extends AutoCloseable {
    int length();

    int capacity();

    /** Forgets every position from n on (a pool hands the cache to the next sequence with 0). */
    void setLength(int n);

    /** The memory keys and values take. */
    long bytes();

    /** Gives the memory back to the backend. */
    @Override
    void close();
}
