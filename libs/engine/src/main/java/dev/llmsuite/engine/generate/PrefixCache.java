package dev.llmsuite.engine.generate;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.model.GptConfig;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keys and values of prompt blocks that earlier prompts computed, so a prompt that begins like one of them (a
 * system prompt, few-shot examples, the Alpaca template) skips that part of its prefill. vLLM's automatic prefix
 * caching, on this engine's contiguous caches: a block is {@link #BLOCK} positions at an absolute offset, keyed by
 * its parent block and its own token ids (compared whole, never by hash alone: a crafted collision must not hand
 * one client another's keys); a hit copies the blocks into the request's own {@link SequenceCache} (GPT-2's KvCache, a
 * LlamaCache: any cache whose layers hold [positions, width] keys and values).
 *
 * <p>Exact: {@link Decoder#prefill} (and LlamaModel's) gives every row the same floats however many rows it computes together, so a
 * restored block holds what the prefill would have computed, and the rows after it come out the same. Bounded: at most {@code maxBlocks} blocks (2 · L · BLOCK · C floats
 * each); when full, the least recently used block that no other block continues (its reference count, the number
 * of children, is 0) is evicted. A hit touches its chain from the deepest block to the first, so the first blocks
 * of a shared prefix stay the most recently used. One scheduler thread uses a cache; it is not thread-safe.
 *
 * <pre>
 *   block b of a prompt: positions [b·BLOCK, (b+1)·BLOCK), key (parent id, tokens)
 *   data [2, L, BLOCK, W]: keys of every layer, then values (W: a cache row's width, C for GPT-2, NKV·D for Llama)
 *   restored: the longest chain of whole blocks that leaves at least MIN_ROWS prompt tokens to compute
 * </pre>
 */
public final class PrefixCache implements AutoCloseable {
    /** Positions per block. */
    public static final int BLOCK = 32;
    /**
     * The fewest prompt rows a hit leaves to compute: from this many rows on, a matrix product gives each row the
     * floats it gives it in any larger product (the contract of {@link ComputeBackend#matmulForward}), so the rows
     * after a restored prefix come out as in a prefill without the cache.
     */
    public static final int MIN_ROWS = 16;

    private record Key(long parent, int[] tokens) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.parent == parent && Arrays.equals(k.tokens, tokens);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(parent) * 31 + Arrays.hashCode(tokens);
        }
    }

    private static final class Block {
        final long id;
        final Key key;
        final Tensor data;
        int children;

        Block(long id, Key key, Tensor data) {
            this.id = id;
            this.key = key;
            this.data = data;
        }
    }

    /** Told of every prefill: prompt positions restored from the cache and computed (a service's metrics). */
    public interface Listener {
        void prefilled(int restored, int computed);
    }

    private final ComputeBackend be;
    private final int layers, width, maxBlocks;
    private final Listener listener;
    private final Map<Key, Block> blocks = new HashMap<>();
    private final Map<Long, Block> byId = new HashMap<>();
    /** Least recently used first. */
    private final LinkedHashMap<Long, Block> recency = new LinkedHashMap<>(16, 0.75f, true);
    private long nextId = 1;
    private long restoredPositions, computedPositions, evictions;

    /** A GPT-2 model's cache: rows of C. */
    public PrefixCache(ComputeBackend be, GptConfig cfg, int maxBlocks) {
        this(be, cfg.layers(), cfg.embeddingDim(), maxBlocks, (restored, computed) -> { });
    }

    /** For caches of layers layers, each position a row of width keys and as many values. */
    public PrefixCache(ComputeBackend be, int layers, int width, int maxBlocks, Listener listener) {
        if (maxBlocks <= 0) throw new IllegalArgumentException("a prefix cache of " + maxBlocks + " blocks");
        this.be = be;
        this.listener = listener;
        this.layers = layers;
        this.width = width;
        this.maxBlocks = maxBlocks;
    }

    /** Blocks that fit in megabytes of backend memory for a GPT-2 model (at least 1). */
    public static int blocksIn(long megabytes, GptConfig cfg) {
        return blocksIn(megabytes, cfg.layers(), cfg.embeddingDim());
    }

    /** Blocks that fit in megabytes of backend memory for caches of layers × width rows (at least 1). */
    public static int blocksIn(long megabytes, int layers, int width) {
        long perBlock = 2L * layers * BLOCK * width * Float.BYTES;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, megabytes * (1L << 20) / perBlock));
    }

    /** Whether it keeps blocks of caches of this shape. */
    public boolean fits(int layers, int width) {
        return layers == this.layers && width == this.width;
    }

    /**
     * Copies the longest cached run of whole blocks that begins the prompt and leaves at least {@link #MIN_ROWS}
     * of it to compute into the empty cache; returns the positions restored.
     */
    public int restore(int[] prompt, SequenceCache cache) {
        int usable = Math.max(0, (prompt.length - MIN_ROWS) / BLOCK);
        Block[] chain = new Block[usable];
        int found = 0;
        long parent = 0;
        for (; found < usable; found++) {
            Block b = blocks.get(new Key(parent, Arrays.copyOfRange(prompt, found * BLOCK, (found + 1) * BLOCK)));
            if (b == null) break;
            chain[found] = b;
            parent = b.id;
        }
        for (int i = found - 1; i >= 0; i--) recency.get(chain[i].id); // deepest first: the first blocks stay newest
        for (int i = 0; i < found; i++) copy(chain[i].data, cache, i, true);
        cache.setLength(found * BLOCK);
        restoredPositions += (long) found * BLOCK;
        computedPositions += prompt.length - (long) found * BLOCK;
        listener.prefilled(found * BLOCK, prompt.length - found * BLOCK);
        return found * BLOCK;
    }

    /** Keeps the prompt's whole blocks (now in the cache) that are not kept yet, evicting unused ones if full. */
    public void store(int[] prompt, SequenceCache cache) {
        int whole = Math.min(prompt.length, cache.length()) / BLOCK;
        long parent = 0;
        Block parentBlock = null;
        for (int i = 0; i < whole; i++) {
            Key key = new Key(parent, Arrays.copyOfRange(prompt, i * BLOCK, (i + 1) * BLOCK));
            Block b = blocks.get(key);
            if (b == null) {
                if (blocks.size() >= maxBlocks && !evictOne(parentBlock)) return; // every block is some chain's parent
                Tensor data = allocate(parentBlock);
                if (data == null) return; // no backend memory even after evicting: the prompt is served, just not kept
                b = new Block(nextId++, key, data);
                copy(b.data, cache, i, false);
                blocks.put(key, b);
                byId.put(b.id, b);
                recency.put(b.id, b);
                if (parentBlock != null) parentBlock.children++;
            }
            parent = b.id;
            parentBlock = b;
        }
    }

    /**
     * A block's memory; when the backend has none left (a device arena shared with the model), one unused block is
     * evicted and it is tried once more; null if that fails too. Keeping a prefix is never worth failing a request.
     */
    private Tensor allocate(Block keep) {
        for (int attempt = 0; ; attempt++) {
            try {
                return be.allocate(2L * layers * BLOCK * width);
            } catch (IllegalStateException | OutOfMemoryError e) {
                if (attempt > 0 || !evictOne(keep)) return null;
            }
        }
    }

    /** Evicts the least recently used block without children (never keep, the block about to gain one). */
    private boolean evictOne(Block keep) {
        for (Block b : recency.values()) {
            if (b.children == 0 && b != keep) {
                recency.remove(b.id);
                blocks.remove(b.key);
                byId.remove(b.id);
                if (b.key.parent() != 0) byId.get(b.key.parent()).children--;
                be.release(b.data);
                evictions++;
                return true;
            }
        }
        return false;
    }

    /** Block data ↔ cache positions [index·BLOCK, (index+1)·BLOCK) of every layer. */
    private void copy(Tensor data, SequenceCache cache, int index, boolean intoCache) {
        long span = (long) BLOCK * width, at = (long) index * span;
        for (int l = 0; l < layers; l++) {
            Tensor k = be.slice(data, l * span, span), v = be.slice(data, (layers + l) * span, span);
            Tensor ck = be.slice(cache.keys(l), at, span), cv = be.slice(cache.values(l), at, span);
            if (intoCache) {
                be.copy(ck, k);
                be.copy(cv, v);
            } else {
                be.copy(k, ck);
                be.copy(v, cv);
            }
        }
    }

    public int blocks() { return blocks.size(); }

    public int maxBlocks() { return maxBlocks; }

    /** Prompt positions restored from the cache, and computed, since it was made. */
    public long restoredPositions() { return restoredPositions; }

    public long computedPositions() { return computedPositions; }

    public long evictions() { return evictions; }

    /** Gives every block's memory back to the backend. */
    @Override
    public void close() {
        for (Block b : blocks.values()) be.release(b.data);
        blocks.clear();
        byId.clear();
        recency.clear();
    }
}
