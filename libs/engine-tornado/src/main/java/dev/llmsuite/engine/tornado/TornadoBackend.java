package dev.llmsuite.engine.tornado;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CrossEntropy;
import dev.llmsuite.engine.tornado.KernelPlan.Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.TornadoDeviceType;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The engine's operations on a TornadoVM device, GPT-2's and Llama 3 / Qwen3's ({@link LlamaKernels}). All tensors
 * live in one device arena (a FloatArray that goes to the device once and stays there); a tensor is an (offset,
 * length) range of it, so slices are free and every kernel sees every tensor. Allocation only moves a bump pointer:
 * models allocate their weights, gradients, optimizer state and activations once. Only losses, norms, logits the
 * caller reads, sampled tokens' inputs and rotary tables cross the bus. Over 250 lines because it is one
 * ComputeBackend: memory, then each layer's launches, one method per interface operation.
 */
public final class TornadoBackend implements ComputeBackend {
    private final String name;
    private final FloatArray arena;
    private final IntArray tokens;
    private final FloatArray staging;
    private final KernelPlan plan;
    private final Kernel touch, upload, copyScaled, sumOfSquares;
    private final Kernel encoderForward, encoderBackward, layerNormForward, layerNormBackwardInput, layerNormParamPartials;
    private final Kernel product, productTiled, biasPartials, sumChunks;
    /** Matrix products by local-memory tiles (GPUs) rather than straight from global memory (CPU devices). */
    private boolean tiledProducts;
    private final Kernel attentionForward, attentionBackwardQuery, attentionBackwardKeyValue;
    private final Kernel decodeStore, decodeScores, decodeWeighted;
    private final Kernel geluForward, geluBackward, residualForward, residualBackward, dropout, adamW;
    private final Kernel crossEntropyForward, crossEntropyBackward;
    private final Kernel embedding, rmsNormForward, rmsNormBackwardInput, rmsNormWeightPartials, rope, swigluForward, swigluBackward;
    private final Kernel groupedAttentionForward, groupedAttentionBackwardQuery, groupedAttentionBackwardKeyValue;
    /** The rotary table [n, d/2, (cos, sin)] uploaded last, and what it was made for: a step's q and k, every layer, share one. */
    private TornadoTensor ropeTable = new TornadoTensor(0, 0);
    private float[] ropeFrequencies;
    private int ropeStart = -1, ropeRows;
    /** The bump pointer: everything above it has never been handed out (or was given back whole). */
    private int used;
    /** The highest the bump pointer has been: memory above it has never been handed out. */
    private int highWater;
    /** offset → aligned length of every range handed out. */
    private final Map<Integer, Integer> live = new HashMap<>();
    /** offset → length of released ranges below {@link #used}, coalesced. */
    private final TreeMap<Integer, Integer> holes = new TreeMap<>();
    private TornadoTensor scratch = new TornadoTensor(0, 0);
    private boolean closed;

    /**
     * @param device      the TornadoVM device (null: TornadoVM's default)
     * @param arenaFloats device memory for all tensors, in floats (at most 2^31 − 1)
     * @param maxTokens   the most token ids (B·T) one launch may carry
     */
    public TornadoBackend(TornadoDevice device, int arenaFloats, int maxTokens) {
        try {
            this.arena = new FloatArray(arenaFloats);
        } catch (OutOfMemoryError e) {
            throw new IllegalStateException("no host memory for the " + (arenaFloats / (1 << 18)) + " MB TornadoVM arena ("
                    + e.getMessage() + "); lower llm.compute.tornado-memory or raise -XX:MaxDirectMemorySize", e);
        }
        this.tokens = new IntArray(maxTokens);
        this.staging = new FloatArray(1 << 20);
        this.plan = new KernelPlan(arena, tokens, staging, 1 << 15, 64);
        touch = plan.add("touch", ArenaKernels::touch);
        upload = plan.addWithStaging("upload", ArenaKernels::upload);
        copyScaled = plan.add("copyScaled", ArenaKernels::copyScaled);
        sumOfSquares = plan.add("sumOfSquares", ArenaKernels::sumOfSquares);
        encoderForward = plan.addWithTokens("encoderForward", EmbeddingKernels::forward);
        encoderBackward = plan.addWithTokens("encoderBackward", EmbeddingKernels::backward);
        layerNormForward = plan.add("layerNormForward", LayerNormKernels::forward);
        layerNormBackwardInput = plan.add("layerNormBackwardInput", LayerNormKernels::backwardInput);
        layerNormParamPartials = plan.add("layerNormParamPartials", LayerNormKernels::paramPartials);
        product = plan.add("product", MatmulKernels::product);
        productTiled = plan.add("productTiled", MatmulKernels::productTiled, MatmulKernels.GROUP * 1024, MatmulKernels.GROUP);
        biasPartials = plan.add("biasPartials", MatmulKernels::biasPartials);
        sumChunks = plan.add("sumChunks", ArenaKernels::sumChunks);
        attentionForward = plan.addWithTokens("attentionForward", AttentionKernels::forward);
        attentionBackwardQuery = plan.add("attentionBackwardQuery", AttentionKernels::backwardQuery);
        attentionBackwardKeyValue = plan.add("attentionBackwardKeyValue", AttentionKernels::backwardKeyValue);
        decodeStore = plan.addWithTokens("decodeStore", AttentionKernels::decodeStore);
        decodeScores = plan.addWithTokens("decodeScores", AttentionKernels::decodeScores);
        decodeWeighted = plan.addWithTokens("decodeWeighted", AttentionKernels::decodeWeighted);
        geluForward = plan.add("geluForward", PointwiseKernels::geluForward);
        geluBackward = plan.add("geluBackward", PointwiseKernels::geluBackward);
        residualForward = plan.add("residualForward", PointwiseKernels::residualForward);
        residualBackward = plan.add("residualBackward", PointwiseKernels::residualBackward);
        dropout = plan.add("dropout", PointwiseKernels::dropout);
        adamW = plan.add("adamW", PointwiseKernels::adamW);
        crossEntropyForward = plan.addWithTokens("crossEntropyForward", CrossEntropyKernels::forward);
        crossEntropyBackward = plan.addWithTokens("crossEntropyBackward", CrossEntropyKernels::backward);
        embedding = plan.addWithTokens("embedding", LlamaKernels::embedding);
        rmsNormForward = plan.add("rmsNormForward", LlamaKernels::rmsNormForward);
        rmsNormBackwardInput = plan.add("rmsNormBackwardInput", LlamaKernels::rmsNormBackwardInput);
        rmsNormWeightPartials = plan.add("rmsNormWeightPartials", LlamaKernels::rmsNormWeightPartials);
        rope = plan.add("rope", LlamaKernels::rope);
        swigluForward = plan.add("swigluForward", LlamaKernels::swigluForward);
        swigluBackward = plan.add("swigluBackward", LlamaKernels::swigluBackward);
        groupedAttentionForward = plan.add("groupedAttentionForward", LlamaKernels::attentionForward);
        groupedAttentionBackwardQuery = plan.add("groupedAttentionBackwardQuery", LlamaKernels::attentionBackwardQuery);
        groupedAttentionBackwardKeyValue = plan.add("groupedAttentionBackwardKeyValue", LlamaKernels::attentionBackwardKeyValue);
        plan.build(device);
        String tiled = System.getProperty("llm.compute.tornado-tiled", "auto");
        tiledProducts = tiled.equals("auto") ? device != null && device.getDeviceType() != TornadoDeviceType.CPU : Boolean.parseBoolean(tiled);
        plan.launch(touch, new int[0]);
        this.name = "tornado (" + (device == null ? "default device" : device.getDeviceName() + ": " + device.getDescription()) + ")";
    }

    @Override
    public String name() { return name; }

    private static TornadoTensor t(Tensor x) { return (TornadoTensor) x; }

    private static int off(Tensor x) { return ((TornadoTensor) x).offset(); }

    /** Floats still free in the arena. */
    public synchronized long free() {
        long released = 0;
        for (int length : holes.values()) released += length;
        return arena.getSize() - used + released;
    }

    // ---------------------------------------------------------------- memory

    /**
     * First fit among released ranges, else the end of the arena. Ranges are 16-float aligned (64
     * bytes, friendlier to device loads). Reused memory is zeroed on the device, as allocate promises.
     */
    @Override
    public synchronized Tensor allocate(long size) {
        if (size < 0 || size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("tensor of " + size + " floats");
        int aligned = (int) ((size + 15) & ~15L);
        for (Map.Entry<Integer, Integer> hole : holes.entrySet()) {
            if (hole.getValue() >= aligned) {
                int offset = hole.getKey(), rest = hole.getValue() - aligned;
                holes.remove(offset);
                if (rest > 0) holes.put(offset + aligned, rest);
                live.put(offset, aligned);
                TornadoTensor x = new TornadoTensor(offset, (int) size);
                zero(x);
                return x;
            }
        }
        if ((long) used + aligned > arena.getSize()) {
            throw new IllegalStateException("TornadoVM arena full: " + size + " floats asked, " + free()
                    + " free (in pieces) of " + arena.getSize() + "; raise llm.compute.tornado-memory");
        }
        TornadoTensor x = new TornadoTensor(used, (int) size);
        live.put(used, aligned);
        used += aligned;
        // above the high-water mark: never handed out, still the zeros the arena was uploaded with; below
        // it the range was given back to the bump pointer by a release at the top, and is not zero
        if (x.offset() < highWater) zero(x);
        highWater = Math.max(highWater, used);
        return x;
    }

    @Override
    public synchronized void release(Tensor x) {
        if (closed) return;
        TornadoTensor r = t(x);
        Integer aligned = live.get(r.offset());
        if (aligned == null || aligned < r.length() || aligned - r.length() >= 16) {
            throw new IllegalArgumentException("release of a range that allocate did not hand out: " + r);
        }
        live.remove(r.offset());
        int offset = r.offset(), length = aligned;
        Map.Entry<Integer, Integer> before = holes.floorEntry(offset);
        if (before != null && before.getKey() + before.getValue() == offset) {
            holes.remove(before.getKey());
            offset = before.getKey();
            length += before.getValue();
        }
        Integer after = holes.remove(offset + length);
        if (after != null) length += after;
        if (offset + length == used) used = offset; // the top of the arena: back to the bump pointer
        else holes.put(offset, length);
    }

    @Override
    public synchronized Tensor slice(Tensor x, long offset, long size) {
        TornadoTensor s = t(x);
        if (offset < 0 || size < 0 || offset + size > s.length()) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + size) + ") of " + s.length());
        }
        return new TornadoTensor(s.offset() + (int) offset, (int) size);
    }

    @Override
    public synchronized void write(Tensor dst, long dstOffset, float[] src, int srcOffset, int n) {
        check(dst, dstOffset, n);
        int chunk = staging.getSize();
        for (int done = 0; done < n; done += chunk) {
            int len = Math.min(chunk, n - done);
            MemorySegment.copy(src, srcOffset + done, staging.getSegment(), ValueLayout.JAVA_FLOAT, 0, len);
            plan.launch(upload, new int[] {off(dst) + (int) dstOffset + done, len});
        }
    }

    @Override
    public synchronized void read(Tensor src, long srcOffset, float[] dst, int dstOffset, int n) {
        check(src, srcOffset, n);
        long from = off(src) + srcOffset;
        plan.fetch(from, n);
        MemorySegment.copy(arena.getSegment(), ValueLayout.JAVA_FLOAT, from * Float.BYTES, dst, dstOffset, n);
    }

    private static void check(Tensor x, long offset, int n) {
        if (offset < 0 || n < 0 || offset + n > t(x).length()) {
            throw new IndexOutOfBoundsException("[" + offset + ", " + (offset + n) + ") of a tensor of " + t(x).length());
        }
    }

    @Override
    public synchronized void zero(Tensor x) {
        plan.launch(copyScaled, new int[] {off(x), off(x), t(x).length()}, 0f);
    }

    @Override
    public synchronized void copy(Tensor dst, Tensor src) {
        if (t(dst).length() < t(src).length()) throw new IllegalArgumentException("copy of " + t(src).length() + " floats into " + t(dst).length());
        plan.launch(copyScaled, new int[] {off(dst), off(src), t(src).length()}, 1f);
    }

    /** Row chunks of a two-pass column sum. */
    private static int chunks(int rows) {
        return (rows + ArenaKernels.CHUNK_ROWS - 1) / ArenaKernels.CHUNK_ROWS;
    }

    /** A region of at least n floats for a kernel's intermediate results, reused across launches. */
    private TornadoTensor scratch(long n) {
        if (scratch.length() < n) {
            if (scratch.length() > 0) release(scratch);
            scratch = t(allocate(Math.max(n, 2L * scratch.length())));
        }
        return scratch;
    }

    /** Puts ints into the launch's token buffer. */
    private void tokens(int[] values, int n) {
        if (n > tokens.getSize()) {
            throw new IllegalArgumentException(n + " tokens in one launch; this backend was built for at most "
                    + tokens.getSize() + " (llm.compute.tornado-max-tokens)");
        }
        MemorySegment.copy(values, 0, tokens.getSegment(), ValueLayout.JAVA_INT, 0, n);
    }

    // ---------------------------------------------------------------- layers

    @Override
    public synchronized void encoderForward(Tensor out, int[] ids, Tensor wte, Tensor wpe, int b, int t, int c) {
        checkIds(ids, b * t, t(wte).length() / c);
        tokens(ids, b * t);
        plan.launch(encoderForward, new int[] {off(out), off(wte), off(wpe), b, t, c});
    }

    @Override
    public synchronized void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, int[] ids, int b, int t, int c) {
        checkIds(ids, b * t, t(dwte).length() / c);
        tokens(ids, b * t);
        plan.launch(encoderBackward, new int[] {off(dwte), off(dwpe), off(dout), b, t, c});
    }

    // ---------------------------------------------------------------- Llama and Qwen3 (LlamaKernels)

    @Override
    public synchronized void embeddingForward(Tensor out, int[] ids, Tensor table, int n, int c) {
        checkIds(ids, n, t(table).length() / c);
        tokens(ids, n);
        plan.launch(embedding, new int[] {off(out), off(table), n, c});
    }

    @Override
    public synchronized void rmsNormForward(Tensor out, Tensor rstd, Tensor inp, Tensor weight, int n, int c, float eps) {
        plan.launch(rmsNormForward, new int[] {off(out), off(rstd), off(inp), off(weight), n, c}, eps);
    }

    @Override
    public synchronized void rmsNormBackward(Tensor dinp, Tensor dweight, Tensor dout, Tensor inp, Tensor weight, Tensor rstd, int n, int c) {
        plan.launch(rmsNormBackwardInput, new int[] {off(dinp), off(dout), off(inp), off(weight), off(rstd), n, c});
        int chunks = (n + ArenaKernels.CHUNK_ROWS - 1) / ArenaKernels.CHUNK_ROWS;
        TornadoTensor partials = scratch((long) chunks * c);
        plan.launch(rmsNormWeightPartials, new int[] {partials.offset(), off(dout), off(inp), off(rstd), n, c});
        plan.launch(sumChunks, new int[] {off(dweight), off(dweight), partials.offset(), chunks, c, c});
    }

    @Override
    public synchronized void ropeForward(Tensor x, int n, int heads, int d, int start, float[] invFreq) {
        plan.launch(rope, new int[] {off(x), ropeTable(n, d, start, invFreq), n, heads, d}, 1f);
    }

    @Override
    public synchronized void ropeBackward(Tensor dx, int n, int heads, int d, int start, float[] invFreq) {
        plan.launch(rope, new int[] {off(dx), ropeTable(n, d, start, invFreq), n, heads, d}, -1f);
    }

    /**
     * The arena offset of cos and sin of (start + r)·invFreq[i] for rows r < n, computed in double and rounded as the
     * CPU backend does; uploaded only when the positions or frequencies differ from the last call's.
     */
    private int ropeTable(int n, int d, int start, float[] invFreq) {
        int half = d / 2;
        if (invFreq.length < half) throw new IllegalArgumentException(invFreq.length + " frequencies for heads of " + d);
        if (invFreq != ropeFrequencies || start != ropeStart || n > ropeRows) {
            float[] table = new float[n * half * 2];
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < half; i++) {
                    double angle = (double) (start + r) * invFreq[i];
                    table[(r * half + i) * 2] = (float) Math.cos(angle);
                    table[(r * half + i) * 2 + 1] = (float) Math.sin(angle);
                }
            }
            if (ropeTable.length() < table.length) {
                if (ropeTable.length() > 0) release(ropeTable);
                ropeTable = t(allocate(table.length));
            }
            write(ropeTable, 0, table, 0, table.length);
            ropeFrequencies = invFreq;
            ropeStart = start;
            ropeRows = n;
        }
        return ropeTable.offset();
    }

    @Override
    public synchronized void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        plan.launch(swigluForward, new int[] {off(out), off(gate), off(up), n});
    }

    @Override
    public synchronized void swigluBackward(Tensor dgate, Tensor dup, Tensor dout, Tensor gate, Tensor up, int n) {
        plan.launch(swigluBackward, new int[] {off(dgate), off(dup), off(dout), off(gate), off(up), n});
    }

    @Override
    public synchronized void groupedAttentionForward(Tensor out, Tensor q, Tensor k, Tensor v, int start, int t, int nh, int nkv, int d) {
        plan.launch(groupedAttentionForward, new int[] {off(out), off(q), off(k), off(v), start, t, nh, nkv, d}, (float) (1.0 / Math.sqrt(d)));
    }

    @Override
    public synchronized void groupedAttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, int t, int nh,
                                                      int nkv, int d) {
        float scale = (float) (1.0 / Math.sqrt(d));
        TornadoTensor state = scratch((long) t * nh * LlamaKernels.STATE);
        plan.launch(groupedAttentionBackwardQuery, new int[] {off(dq), state.offset(), off(dout), off(q), off(k), off(v), t, nh, nkv, d}, scale);
        plan.launch(groupedAttentionBackwardKeyValue, new int[] {off(dk), off(dv), state.offset(), off(dout), off(q), off(k), off(v), t, nh, nkv, d},
                scale);
    }

    private static void checkIds(int[] ids, int n, int vocab) {
        for (int i = 0; i < n; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) throw new IllegalArgumentException("token id " + ids[i] + " outside [0, " + vocab + ")");
        }
    }

    @Override
    public synchronized void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor inp, Tensor w, Tensor bias, int n, int c) {
        plan.launch(layerNormForward, new int[] {off(out), off(mean), off(rstd), off(inp), off(w), off(bias), n, c});
    }

    @Override
    public synchronized void layerNormBackward(Tensor dinp, Tensor dw, Tensor db, Tensor dout, Tensor inp, Tensor w, Tensor mean,
                                  Tensor rstd, int n, int c) {
        plan.launch(layerNormBackwardInput, new int[] {off(dinp), off(dout), off(inp), off(w), off(mean), off(rstd), n, c});
        int chunks = chunks(n);
        TornadoTensor partials = scratch((long) chunks * 2 * c);
        plan.launch(layerNormParamPartials, new int[] {partials.offset(), off(dout), off(inp), off(mean), off(rstd), n, c});
        plan.launch(sumChunks, new int[] {off(dw), off(db), partials.offset(), chunks, 2 * c, c});
    }

    @Override
    public synchronized void matmulForward(Tensor out, Tensor inp, Tensor w, Tensor bias, int n, int c, int oc) {
        // out[i, j] = Σ_k inp[i, k] · w[j, k] + bias[j]
        plan.launch(products(), new int[] {off(out), off(inp), off(w), bias == null ? -1 : off(bias), n, oc, c, c, 1, c, 1, 0});
    }

    private Kernel products() {
        return tiledProducts ? productTiled : product;
    }

    /** Which product kernel runs (the tests check both on whatever device they have). */
    synchronized void useTiledProducts(boolean tiled) {
        tiledProducts = tiled;
    }

    synchronized boolean tiledProducts() {
        return tiledProducts;
    }

    @Override
    public synchronized void matmulBackward(Tensor dinp, Tensor dw, Tensor dbias, Tensor dout, Tensor inp, Tensor w, int n, int c, int oc) {
        // dinp[i, k] += Σ_j dout[i, j] · w[j, k]
        if (dinp != null) plan.launch(products(), new int[] {off(dinp), off(dout), off(w), -1, n, c, oc, oc, 1, 1, c, 1});
        // dw[j, k] += Σ_i dout[i, j] · inp[i, k]
        if (dw != null) plan.launch(products(), new int[] {off(dw), off(dout), off(inp), -1, oc, c, n, 1, oc, 1, c, 1});
        if (dbias != null) {
            int chunks = chunks(n);
            TornadoTensor partials = scratch((long) chunks * oc);
            plan.launch(biasPartials, new int[] {partials.offset(), off(dout), n, oc});
            plan.launch(sumChunks, new int[] {off(dbias), off(dbias), partials.offset(), chunks, oc, oc});
        }
    }

    @Override
    public synchronized void attentionForward(Tensor out, Tensor att, Tensor qkv, int[] documentStarts, int b, int t, int c, int nh,
                                 float dropRate, long seed, long site) {
        if (documentStarts != null) tokens(documentStarts, b * t);
        plan.launch(attentionForward, new int[] {off(out), off(att), off(qkv), b, t, c, nh, documentStarts == null ? 0 : 1,
                DropoutHash.hi(seed), DropoutHash.lo(seed), DropoutHash.hi(site), DropoutHash.lo(site)},
                dropRate, 1f / (1f - dropRate));
    }

    @Override
    public long attentionStateSize(int b, int t, int nh) {
        return (long) b * nh * t * AttentionKernels.STATE;
    }

    @Override
    public synchronized void attentionBackward(Tensor dqkv, Tensor dout, Tensor qkv, Tensor att, int b, int t, int c, int nh,
                                  float dropRate, long seed, long site) {
        int[] args = {off(dqkv), off(dout), off(qkv), off(att), b, t, c, nh,
                DropoutHash.hi(seed), DropoutHash.lo(seed), DropoutHash.hi(site), DropoutHash.lo(site)};
        plan.launch(attentionBackwardQuery, args, dropRate, 1f / (1f - dropRate));
        plan.launch(attentionBackwardKeyValue, args, dropRate, 1f / (1f - dropRate));
    }

    @Override
    public synchronized void attentionDecode(Tensor out, Tensor qkv, Tensor keyCache, Tensor valueCache, int pos, int c, int nh) {
        attentionDecodeBatch(out, qkv, new Tensor[] {keyCache}, new Tensor[] {valueCache}, new int[] {pos}, c, nh);
    }

    /** The whole batch in three launches; each sequence's caches and position travel with them as token ids. */
    @Override
    public synchronized void attentionDecodeBatch(Tensor out, Tensor qkv, Tensor[] keyCaches, Tensor[] valueCaches, int[] positions,
                                                  int c, int nh) {
        int nb = positions.length, maxPos = 0;
        int[] seqs = new int[3 * nb];
        for (int i = 0; i < nb; i++) {
            seqs[3 * i] = off(keyCaches[i]);
            seqs[3 * i + 1] = off(valueCaches[i]);
            seqs[3 * i + 2] = positions[i];
            maxPos = Math.max(maxPos, positions[i]);
        }
        tokens(seqs, 3 * nb);
        TornadoTensor scores = scratch((long) nb * nh * (maxPos + 1));
        plan.launch(decodeStore, new int[] {off(qkv), nb, c});
        plan.launch(decodeScores, new int[] {off(qkv), scores.offset(), nb, c, nh, maxPos});
        plan.launch(decodeWeighted, new int[] {off(out), scores.offset(), nb, c, nh, maxPos});
    }

    @Override
    public synchronized void geluForward(Tensor out, Tensor inp, int n) {
        plan.launch(geluForward, new int[] {off(out), off(inp), n});
    }

    @Override
    public synchronized void geluBackward(Tensor dinp, Tensor inp, Tensor dout, int n) {
        plan.launch(geluBackward, new int[] {off(dinp), off(inp), off(dout), n});
    }

    @Override
    public synchronized void residualForward(Tensor out, Tensor a, Tensor b, int n) {
        plan.launch(residualForward, new int[] {off(out), off(a), off(b), n});
    }

    @Override
    public synchronized void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
        plan.launch(residualBackward, new int[] {off(da), off(db), off(dout), n});
    }

    @Override
    public synchronized void dropout(Tensor x, int n, float rate, long seed, long site) {
        if (rate == 0f) return;
        plan.launch(dropout, new int[] {off(x), n, DropoutHash.hi(seed), DropoutHash.lo(seed), DropoutHash.hi(site), DropoutHash.lo(site)},
                rate, 1f / (1f - rate));
    }

    @Override
    public synchronized double crossEntropyForward(Tensor logits, int[] targets, Tensor losses, Tensor lse, int n, int v) {
        checkTargets(targets, n, v);
        tokens(targets, n);
        plan.launch(crossEntropyForward, new int[] {off(logits), off(losses), off(lse), n, v});
        float[] rowLosses = new float[n];
        read(losses, 0, rowLosses, 0, n);
        return CrossEntropy.meanLoss(rowLosses, 0, targets, n);
    }

    @Override
    public synchronized void crossEntropyBackward(Tensor logits, int[] targets, Tensor lse, int n, int v, float lossScale) {
        checkTargets(targets, n, v);
        int counted = CrossEntropy.countTargets(targets, n);
        tokens(targets, n);
        plan.launch(crossEntropyBackward, new int[] {off(logits), off(lse), n, v}, counted == 0 ? 0f : lossScale / counted);
    }

    private static void checkTargets(int[] targets, int n, int v) {
        for (int r = 0; r < n; r++) {
            int target = targets[r];
            if (target != CrossEntropy.IGNORE_INDEX && (target < 0 || target >= v)) {
                throw new IllegalArgumentException("target " + target + " outside [0, " + v + ")");
            }
        }
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public synchronized double sumOfSquares(Tensor x) {
        TornadoTensor partial = scratch(plan.gridSize());
        plan.launch(sumOfSquares, new int[] {off(x), t(x).length(), partial.offset()});
        float[] sums = new float[plan.gridSize()];
        read(partial, 0, sums, 0, sums.length);
        double total = 0;
        for (float s : sums) total += s;
        return total;
    }

    @Override
    public synchronized void scale(Tensor x, float factor) {
        plan.launch(copyScaled, new int[] {off(x), off(x), t(x).length()}, factor);
    }

    @Override
    public synchronized void adamW(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        int n = t(params).length();
        if (t(grads).length() != n || t(m).length() != n || t(v).length() != n) {
            throw new IllegalArgumentException("AdamW buffers must have the same length");
        }
        float bc1 = (float) (1.0 - Math.pow(beta1, step));
        float bc2Sqrt = (float) Math.sqrt(1.0 - Math.pow(beta2, step));
        plan.launch(adamW, new int[] {off(params), off(grads), off(m), off(v), n},
                beta1, beta2, eps, 1f - lr * weightDecay, lr / bc1, bc2Sqrt);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        plan.close();
    }
}
