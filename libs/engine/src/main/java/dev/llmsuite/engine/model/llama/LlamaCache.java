package dev.llmsuite.engine.model.llama;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.generate.SequenceCache;

/**
 * Keys and values of the positions a {@link LlamaModel} has seen, per layer [capacity, NKV · D] (grouped-query
 * attention keeps NKV heads, not NH: Llama 3.2 1B's cache is a quarter of a full-heads one), keys already rotated.
 */
public final class LlamaCache implements SequenceCache {
    private final ComputeBackend be;
    private final Tensor[] keys, values;
    private final int capacity;
    private final long bytes;
    private int length;
    private boolean closed;

    public LlamaCache(ComputeBackend be, LlamaConfig c, int capacity) {
        if (capacity < 1 || capacity > c.contextLength()) throw new IllegalArgumentException("capacity " + capacity + " outside [1, " + c.contextLength() + "]");
        this.be = be;
        this.capacity = capacity;
        this.keys = new Tensor[c.layers()];
        this.values = new Tensor[c.layers()];
        long row = (long) c.kvHeads() * c.headDim();
        this.bytes = 2L * c.layers() * capacity * row * Float.BYTES;
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = be.allocate(capacity * row);
            values[l] = be.allocate(capacity * row);
        }
    }

    @Override
    public int length() { return length; }

    @Override
    public int capacity() { return capacity; }

    @Override
    public long bytes() { return bytes; }

    @Override
    public void setLength(int n) {
        if (n < 0 || n > capacity) throw new IllegalArgumentException("length " + n + " outside [0, " + capacity + "]");
        length = n;
    }

    @Override
    public Tensor keys(int layer) { return keys[layer]; }

    @Override
    public Tensor values(int layer) { return values[layer]; }

    void advance(int t) { length += t; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (int l = 0; l < keys.length; l++) {
            be.release(keys[l]);
            be.release(values[l]);
        }
    }
}
