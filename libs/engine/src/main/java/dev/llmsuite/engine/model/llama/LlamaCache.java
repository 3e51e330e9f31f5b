package dev.llmsuite.engine.model.llama;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;

/**
 * Keys and values of the positions a {@link LlamaModel} has seen, per layer [capacity, NKV · D] (grouped-query
 * attention keeps NKV heads, not NH: Llama 3.2 1B's cache is a quarter of a full-heads one), keys already rotated.
 */
public final class LlamaCache implements AutoCloseable {
    private final ComputeBackend be;
    private final Tensor[] keys, values;
    private final int capacity;
    private int length;

    public LlamaCache(ComputeBackend be, LlamaConfig c, int capacity) {
        if (capacity < 1 || capacity > c.contextLength()) throw new IllegalArgumentException("capacity " + capacity + " outside [1, " + c.contextLength() + "]");
        this.be = be;
        this.capacity = capacity;
        this.keys = new Tensor[c.layers()];
        this.values = new Tensor[c.layers()];
        long row = (long) c.kvHeads() * c.headDim();
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = be.allocate(capacity * row);
            values[l] = be.allocate(capacity * row);
        }
    }

    public int length() { return length; }

    public int capacity() { return capacity; }

    /** Forgets positions from n on (n ≤ length). */
    public void setLength(int n) {
        if (n < 0 || n > length) throw new IllegalArgumentException("length " + n + " outside [0, " + length + "]");
        length = n;
    }

    Tensor keys(int layer) { return keys[layer]; }

    Tensor values(int layer) { return values[layer]; }

    void advance(int t) { length += t; }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            be.release(keys[l]);
            be.release(values[l]);
        }
    }
}
