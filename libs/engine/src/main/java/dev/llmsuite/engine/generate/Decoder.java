package dev.llmsuite.engine.generate;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import dev.llmsuite.engine.model.ModelWeights;
import dev.llmsuite.engine.model.OwnedTensors;
import java.util.Arrays;
import java.util.List;

/**
 * Serving a {@link GptModel} with a KV cache: {@link #prefill} runs a prompt in batched blocks of 64 positions and
 * keeps every position's keys and values (restoring the first blocks from a {@link PrefixCache} when an earlier
 * prompt began the same way); {@link #decodeBatch} then appends one token to each of several sequences, computing
 * only the new positions (continuous batching: each weight is read once per step for the whole batch).
 *
 * <p>With 8-bit weights ({@link #int8}) decode steps read the linear layers and the output head from 8-bit copies
 * with one scale per 64 values, a quarter of the bytes per step (with {@link ServingWeights#BF16}, bfloat16 copies:
 * half; with {@link ServingWeights#FP32_PANELS}, fp32 in panels whose rows do not depend on each other); prefill
 * (compute-bound, where 8 bits would not speed it) and training keep reading the fp32 weights. {@link #decodeAll} and
 * {@link #decodeLast} append several tokens of one sequence on the decode path: speculative decoding's verification
 * and its draft's catch-up. Over 250 lines because prefill, decode steps and those share one transformer pass
 * ({@code step}) and its buffers, which reads best in one place.
 *
 * <pre>
 *   decode step, nb sequences        shape
 *   x, ln, atty, proj                [nb, C]
 *   qkv                              [nb, 3C]
 *   fch, fchGelu                     [nb, 4C]
 *   logits                           [nb, V]
 * </pre>
 */
public final class Decoder implements BatchDecoder<KvCache>, AutoCloseable {
    private final GptModel model;
    private final GptConfig cfg;
    private final ComputeBackend be;
    /** What decode steps read: the model's weights, or the same with 8-bit linear layers. */
    private final ModelWeights serving;
    private final ServingWeights format;
    /** The 8-bit copies this decoder made and gives back on close (none for fp32 and for a view's decoder). */
    private final OwnedTensors ownedCopies;
    private StepBuffers buffers;
    private PrefixCache prefixCache;

    private Decoder(GptModel model, ModelWeights serving, ServingWeights format, OwnedTensors ownedCopies) {
        this.model = model;
        this.cfg = model.config();
        this.be = model.backend();
        this.serving = serving;
        this.format = format;
        this.ownedCopies = ownedCopies;
    }

    /** Decode steps on the model's fp32 weights. */
    public static Decoder fp32(GptModel model) {
        return of(model, ServingWeights.FP32);
    }

    /** Decode steps on 8-bit copies of the model's linear layers, made now. */
    public static Decoder int8(GptModel model) {
        return of(model, ServingWeights.INT8);
    }

    /** Decode steps on the weights asked for: the model's own, or bfloat16 or 8-bit copies of its linear layers made now. */
    public static Decoder of(GptModel model, ServingWeights format) {
        ComputeBackend be = model.backend();
        OwnedTensors copies = new OwnedTensors(be);
        ModelWeights serving = switch (format) {
            case FP32 -> model.weights();
            case BF16 -> model.weights().withLinearLayers(model.config(), (w, rows, cols) -> copies.own(be.quantize16(w, rows, cols)));
            case INT8 -> model.weights().withLinearLayers(model.config(), (w, rows, cols) -> copies.own(be.quantize8(w, rows, cols)));
            case FP32_PANELS -> model.weights().withLinearLayers(model.config(), (w, rows, cols) -> copies.own(be.panels(w, rows, cols)));
        };
        return new Decoder(model, serving, format, copies);
    }

    public GptModel model() { return model; }

    public boolean quantized() { return format != ServingWeights.FP32; }

    /** What decode steps read. */
    @Override
    public ServingWeights weights() { return format; }

    @Override
    public int contextLength() { return cfg.contextLength(); }

    @Override
    public int vocabSize() { return cfg.vocabSize(); }

    @Override
    public long cacheBytesPerPosition() { return 2L * cfg.layers() * cfg.embeddingDim() * Float.BYTES; }

    @Override
    public KvCache newCache(int capacity) { return new KvCache(be, cfg, capacity); }

    @Override
    public PrefixCache newPrefixCache(long megabytes, PrefixCache.Listener listener) {
        return new PrefixCache(be, cfg.layers(), cfg.embeddingDim(), PrefixCache.blocksIn(megabytes, cfg), listener);
    }

    /**
     * A decoder for {@code view} (this decoder's model's {@link GptModel#sharingWeights}, with adapters of its own)
     * that reads this decoder's weights, 8-bit copies included, without copying them; closing it leaves them here.
     */
    public Decoder sharedWith(GptModel view) {
        if (view.weights() != model.weights()) throw new IllegalArgumentException("the view does not share this model's weights");
        return new Decoder(view, serving, format, new OwnedTensors(be));
    }

    /**
     * Runs the prompt through the model, stores every position's keys and values in the (empty) cache, and
     * returns the logits after the last token. All positions go through each layer together, on the decode
     * path (attention over the cache). Every operation gives a row the same floats however many rows are computed
     * with it (matrix products from {@link PrefixCache#MIN_ROWS} rows on: {@link ComputeBackend#matmulForward}),
     * so a block's keys and values are the same whether this prefill computes them or a {@link PrefixCache}
     * restores them from an earlier prompt that began the same way: a cache hit changes nothing but the time to
     * the first token.
     */
    @Override
    public float[] prefill(int[] tokens, KvCache cache) {
        int t = tokens.length;
        if (t == 0) throw new IllegalArgumentException("empty prompt");
        if (t > cache.capacity()) throw new IllegalArgumentException("prompt of " + t + " tokens is over the cache's " + cache.capacity());
        if (cache.length() != 0) throw new IllegalArgumentException("prefill into a cache that already holds " + cache.length() + " positions");
        int start = prefixCache == null ? 0 : prefixCache.restore(tokens, cache);
        float[] logits = extend(Arrays.copyOfRange(tokens, start, t), cache);
        if (prefixCache != null) prefixCache.store(tokens, cache);
        return logits;
    }

    /**
     * Prompts that begin alike share their first blocks' keys and values through this cache (null: none); the
     * decoder owns it from now on and closes it with itself.
     */
    @Override
    public void usePrefixCache(PrefixCache cache) {
        if (cache != null && !cache.fits(cfg.layers(), cfg.embeddingDim())) throw new IllegalArgumentException("a prefix cache for another model shape");
        if (prefixCache != null && prefixCache != cache) prefixCache.close();
        this.prefixCache = cache;
    }

    public PrefixCache prefixCache() { return prefixCache; }

    /** Appends one token at position cache.length(), computing only that position; returns the next logits. */
    public float[] decode(int token, KvCache cache) {
        if (cache.length() >= cache.capacity()) throw new IllegalStateException("the KV cache is full (" + cache.length() + " positions)");
        return decodeBatch(new int[] {token}, new KvCache[] {cache})[0];
    }

    /**
     * One decode step for several sequences at once: sequence i appends tokens[i] at its own position
     * caches[i].length(). The linear layers read each weight once for the whole batch, which is what makes
     * serving many requests cheaper than serving them in turn; attention runs per sequence against its own
     * cache. Returns each sequence's next-token logits.
     */
    @Override
    public float[][] decodeBatch(int[] tokens, List<KvCache> caches) {
        return decodeBatch(tokens, caches.toArray(KvCache[]::new));
    }

    /** As above. */
    public float[][] decodeBatch(int[] tokens, KvCache[] caches) {
        int nb = tokens.length;
        if (nb != caches.length || nb == 0) throw new IllegalArgumentException("one cache per token, at least one");
        int[] positions = new int[nb];
        for (int i = 0; i < nb; i++) {
            positions[i] = caches[i].length();
            if (positions[i] >= caches[i].capacity()) throw new IllegalStateException("sequence " + i + ": the KV cache is full");
        }
        step(tokens, caches, positions);
        float[][] out = new float[nb][];
        for (int i = 0; i < nb; i++) {
            caches[i].setLength(caches[i].length() + 1);
            out[i] = logitsOfRow(i);
        }
        return out;
    }

    /**
     * As {@link #decodeAll}, the logits of the last row only (the output head, a third of GPT-2 124M's weights, runs
     * for that row alone): a draft taking in the tokens it has not seen.
     */
    public float[] decodeLast(int[] tokens, KvCache cache) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens");
        append(tokens, cache, tokens.length - 1, serving);
        return logitsOfRow(0);
    }

    /**
     * Appends tokens to one sequence at positions cache.length() … + n − 1 in one step on the decode path (the serving
     * weights) and returns every row's logits: speculative decoding's verification. Row i's logits are those
     * {@link #decode} would give for tokens[i] after the rows before it, to the bit, when every product is
     * row-independent at n rows: fp32 weights below {@link PrefixCache#MIN_ROWS} rows (each row its own dot products;
     * {@code SpeculativeDecodingTest} holds it).
     */
    public float[][] decodeAll(int[] tokens, KvCache cache) {
        int n = tokens.length;
        if (n == 0) throw new IllegalArgumentException("no tokens");
        append(tokens, cache, -1, serving);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = logitsOfRow(i);
        return out;
    }

    /**
     * Appends tokens to one sequence at positions cache.length() … + n − 1 in one step (the rows attend to the
     * cache and to each other causally); returns the logits after the last of them.
     */
    private float[] extend(int[] tokens, KvCache cache) {
        append(tokens, cache, tokens.length - 1, model.weights());
        return logitsOfRow(0);
    }

    /** One sequence's next tokens through {@link #step} at its next positions; the cache grows by them. */
    private void append(int[] tokens, KvCache cache, int logitsRow, ModelWeights wt) {
        int n = tokens.length, start = cache.length();
        if (start + n > cache.capacity()) throw new IllegalStateException("the KV cache is full");
        KvCache[] caches = new KvCache[n];
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) {
            caches[i] = cache;
            positions[i] = start + i;
        }
        step(tokens, caches, positions, logitsRow, wt, start);
        cache.setLength(start + n);
    }

    private void step(int[] tokens, KvCache[] caches, int[] positions) {
        step(tokens, caches, positions, -1, serving, -1);
    }

    /**
     * The transformer over nb rows, row i being token tokens[i] at position positions[i] of caches[i] (its keys
     * and values stored there, attending to that cache's positions up to its own). The output head runs for every
     * row (logitsRow −1) or for one row (its logits then in row 0). Decode steps read the serving weights (8-bit
     * with {@link #int8}); prefill, compute-bound, the model's fp32 weights. first ≥ 0: the rows are one
     * sequence's consecutive positions from first.
     */
    private void step(int[] tokens, KvCache[] caches, int[] positions, int logitsRow, ModelWeights wt, int first) {
        int nb = tokens.length, c = cfg.embeddingDim(), nh = cfg.heads(), v = cfg.vocabSize();
        if (buffers == null || buffers.rows < nb) {
            if (buffers != null) buffers.release();
            buffers = new StepBuffers(nb);
        }
        StepBuffers d = buffers;
        for (int token : tokens) {
            if (token < 0 || token >= v) throw new IllegalArgumentException("token id " + token + " outside the vocabulary");
        }
        if (first >= 0) { // consecutive positions: one lookup for all
            be.encoderForward(be.slice(d.x, 0, (long) nb * c), tokens, wt.wte(), be.slice(wt.wpe(), (long) first * c, (long) nb * c), 1, nb, c);
        } else {
            for (int i = 0; i < nb; i++) {
                be.encoderForward(be.slice(d.x, (long) i * c, c), new int[] {tokens[i]}, wt.wte(), be.slice(wt.wpe(), (long) positions[i] * c, c), 1, 1, c);
            }
        }
        Tensor x = be.slice(d.x, 0, (long) nb * c), ln = be.slice(d.ln, 0, (long) nb * c);
        Tensor mean = be.slice(d.mean, 0, nb), rstd = be.slice(d.rstd, 0, nb);
        Tensor qkv = be.slice(d.qkv, 0, 3L * nb * c), atty = be.slice(d.atty, 0, (long) nb * c);
        Tensor proj = be.slice(d.proj, 0, (long) nb * c), fch = be.slice(d.fch, 0, 4L * nb * c);
        Tensor fchGelu = be.slice(d.fchGelu, 0, 4L * nb * c);
        Tensor[] keys = new Tensor[nb], values = new Tensor[nb];
        for (int l = 0; l < cfg.layers(); l++) {
            ModelWeights.Layer w = wt.layers()[l];
            be.layerNormForward(ln, mean, rstd, x, w.ln1Weight(), w.ln1Bias(), nb, c);
            linear(l, LoraAdapters.Target.QKV, qkv, ln, w.qkvWeight(), w.qkvBias(), nb, c, 3 * c);
            for (int i = 0; i < nb; i++) {
                keys[i] = caches[i].keys(l);
                values[i] = caches[i].values(l);
            }
            be.attentionDecodeBatch(atty, qkv, keys, values, positions, c, nh);
            linear(l, LoraAdapters.Target.ATTN_PROJ, proj, atty, w.attnProjWeight(), w.attnProjBias(), nb, c, c);
            be.residualForward(x, x, proj, nb * c);
            be.layerNormForward(ln, mean, rstd, x, w.ln2Weight(), w.ln2Bias(), nb, c);
            linear(l, LoraAdapters.Target.FC, fch, ln, w.fcWeight(), w.fcBias(), nb, c, 4 * c);
            be.geluForward(fchGelu, fch, nb * 4 * c);
            linear(l, LoraAdapters.Target.FC_PROJ, proj, fchGelu, w.fcProjWeight(), w.fcProjBias(), nb, 4 * c, c);
            be.residualForward(x, x, proj, nb * c);
        }
        int from = logitsRow >= 0 ? logitsRow : 0, rows = logitsRow >= 0 ? 1 : nb;
        Tensor last = be.slice(x, (long) from * c, (long) rows * c), lnLast = be.slice(ln, 0, (long) rows * c);
        be.layerNormForward(lnLast, be.slice(mean, 0, rows), be.slice(rstd, 0, rows), last, wt.lnfWeight(), wt.lnfBias(), rows, c);
        be.matmulForward(be.slice(d.logits(rows), 0, (long) rows * v), lnLast, wt.outputHead(), null, rows, c, v);
    }

    /** out = in · Wᵀ + b over nb rows, and the adapter's share. */
    private void linear(int l, LoraAdapters.Target target, Tensor out, Tensor in, Tensor w, Tensor b, int nb, int cin, int cout) {
        be.matmulForward(out, in, w, b, nb, cin, cout);
        LoraAdapters lora = model.adapters();
        if (lora != null) lora.forward(l, target, out, in, nb);
    }

    private float[] logitsOfRow(int row) {
        int v = cfg.vocabSize();
        float[] out = new float[v];
        be.read(buffers.logits(row + 1), (long) row * v, out, 0, v);
        return out;
    }

    /** Gives the step buffers, the 8-bit copies this decoder made and its prefix cache back to the backend; the model stays. */
    @Override
    public void close() {
        if (buffers != null) buffers.release();
        buffers = null;
        ownedCopies.release();
        if (prefixCache != null) prefixCache.close();
        prefixCache = null;
    }

    /** Working buffers for decode steps and prompts, grown to the most rows seen; logits only for the rows that need them. */
    private final class StepBuffers {
        final int rows;
        final Tensor x, ln, mean, rstd, qkv, atty, proj, fch, fchGelu;
        private final OwnedTensors owned = new OwnedTensors(be);
        private Tensor logits;
        private int logitRows;

        StepBuffers(int rows) {
            this.rows = rows;
            int c = cfg.embeddingDim();
            x = owned.allocate((long) rows * c);
            ln = owned.allocate((long) rows * c);
            mean = owned.allocate(rows);
            rstd = owned.allocate(rows);
            qkv = owned.allocate(3L * rows * c);
            atty = owned.allocate((long) rows * c);
            proj = owned.allocate((long) rows * c);
            fch = owned.allocate(4L * rows * c);
            fchGelu = owned.allocate(4L * rows * c);
        }

        /** [rows, V] logits (a 1,000-token prompt needs one row, not 1,000). */
        Tensor logits(int n) {
            if (logitRows < n) {
                if (logits != null) be.release(logits);
                logits = be.allocate((long) n * cfg.vocabSize());
                logitRows = n;
            }
            return logits;
        }

        void release() {
            owned.release();
            if (logits != null) be.release(logits);
            logits = null;
        }
    }
}
