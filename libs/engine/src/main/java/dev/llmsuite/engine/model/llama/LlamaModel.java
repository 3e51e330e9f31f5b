package dev.llmsuite.engine.model.llama;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.generate.BatchDecoder;
import dev.llmsuite.engine.generate.PrefixCache;
import dev.llmsuite.engine.generate.ServingWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Llama 3 and Qwen3 (one family: pre-norm blocks of RMSNorm, grouped-query attention with rotary positions, SwiGLU),
 * forward over a prompt. Read top to bottom:
 *
 * <pre>
 *   x = embed[ids]                                                   [T, H]
 *   per layer:
 *     h = rmsnorm(x) · input_norm
 *     q = h·Wqᵀ [T, NH·D]   k = h·Wkᵀ, v = h·Wvᵀ [T, NKV·D]
 *     (Qwen3) q, k = rmsnorm over each head's D · q_norm, k_norm
 *     q, k = rope(q, k)                                               positions start … start+T−1 (k, v into the cache)
 *     x += attention(q, k, v) · Woᵀ                                   causal, NH query heads on NKV kv heads
 *     h = rmsnorm(x) · post_attention_norm
 *     x += (silu(h·Wgateᵀ) ⊙ h·Wupᵀ) · Wdownᵀ                         [T, I] inside
 *   logits = (rmsnorm(x) · final_norm) · headᵀ                        head = embed when tied  [T, V]
 * </pre>
 *
 * Keys and values go into a {@link LlamaCache} as they are made, so a prompt and then one token at a time (KV-cached
 * decoding) run the same code, and so does a batched decode step of several sequences, each on its own cache
 * ({@link #decodeBatch}: inference-service's continuous batching, as GPT-2's {@code Decoder}). Checked against an
 * independent PyTorch reference (LlamaFixtureTest); its backward is LlamaTrainingStep's. Serving rides on the same pass:
 * 8/16-bit decode copies ({@link #serve}), a prefix cache, and unmerged LoRA adapters on views that share the weights
 * ({@link #sharingWeights}, {@link #attach}). Over 250 lines because a pass and what it reads read best in one place,
 * as in GPT-2's {@code Decoder}.
 *
 * <pre>
 *   adapters:  out += s · (x·Aᵀ)·Bᵀ   on q, k, v, o, gate, up, down (the targets an adapter names)
 * </pre>
 */
public final class LlamaModel implements BatchDecoder<LlamaCache>, AutoCloseable {
    /** One block's weights, nn.Linear's [out, in] layout. qNorm and kNorm are null unless the config has QK-norm. */
    public record Layer(Tensor inputNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor qNorm, Tensor kNorm,
                        Tensor postNorm, Tensor wGate, Tensor wUp, Tensor wDown) {}

    private final ComputeBackend be;
    private final LlamaConfig config;
    private final Tensor embed, finalNorm, head;
    private final List<Layer> layers;
    private final float[] invFreq;
    /** What decode steps read (bf16, int8 or panel copies), or null: fp32 throughout. */
    private LlamaDecodeWeights decodeWeights;
    /** Blocks of earlier prompts' keys and values that a prompt beginning alike restores (null: none). */
    private PrefixCache prefixCache;
    /** LoRA adapters added to the linear layers' outputs, unmerged (a served adapter view), or null. */
    private LlamaLora adapters;
    /** Whether the weights (and decode copies) are another model's, read here and released there. */
    private final boolean view;

    /** Weights as loaded (LlamaCheckpoint); head is embed for a tied model. The model owns them from here. */
    public LlamaModel(ComputeBackend be, LlamaConfig config, Tensor embed, List<Layer> layers, Tensor finalNorm, Tensor head) {
        this(be, config, embed, layers, finalNorm, head, false);
    }

    private LlamaModel(ComputeBackend be, LlamaConfig config, Tensor embed, List<Layer> layers, Tensor finalNorm, Tensor head, boolean view) {
        if (layers.size() != config.layers()) throw new IllegalArgumentException(layers.size() + " layers for a config of " + config.layers());
        this.view = view;
        this.be = be;
        this.config = config;
        this.embed = embed;
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
        this.head = head;
        this.invFreq = config.inverseFrequencies();
    }

    /** Random weights (normal, std 0.02; norms 1), for benchmarks and tests: a model of this shape, not a trained one. */
    public static LlamaModel initialized(ComputeBackend be, LlamaConfig c, long seed) {
        Random random = new Random(seed);
        int h = c.hidden(), d = c.headDim();
        Tensor embed = normal(be, (long) c.vocabSize() * h, random);
        List<Layer> layers = new ArrayList<>();
        for (int n = 0; n < c.layers(); n++) {
            layers.add(new Layer(ones(be, h), normal(be, (long) c.heads() * d * h, random), normal(be, (long) c.kvHeads() * d * h, random),
                    normal(be, (long) c.kvHeads() * d * h, random), normal(be, (long) h * c.heads() * d, random),
                    c.qkNorm() ? ones(be, d) : null, c.qkNorm() ? ones(be, d) : null, ones(be, h),
                    normal(be, (long) c.intermediate() * h, random), normal(be, (long) c.intermediate() * h, random),
                    normal(be, (long) h * c.intermediate(), random)));
        }
        Tensor head = c.tiedEmbeddings() ? embed : normal(be, (long) c.vocabSize() * h, random);
        return new LlamaModel(be, c, embed, layers, ones(be, h), head);
    }

    private static Tensor normal(ComputeBackend be, long n, Random random) {
        Tensor t = be.allocate(n);
        float[] chunk = new float[(int) Math.min(n, 1 << 20)];
        for (long at = 0; at < n; at += chunk.length) {
            int len = (int) Math.min(chunk.length, n - at);
            for (int i = 0; i < len; i++) chunk[i] = (float) (random.nextGaussian() * 0.02);
            be.write(t, at, chunk, 0, len);
        }
        return t;
    }

    private static Tensor ones(ComputeBackend be, int n) {
        Tensor t = be.allocate(n);
        float[] one = new float[n];
        Arrays.fill(one, 1f);
        be.write(t, 0, one, 0, n);
        return t;
    }

    public LlamaConfig config() {
        return config;
    }

    /**
     * What decode steps (one token) read the linear layers and the head from from now on: bf16 or int8 copies (half or a
     * quarter of the bytes a token) or fp32 panels, as GPT-2's {@code Decoder} serves; prompts still run in fp32.
     */
    public void serve(ServingWeights weights) {
        if (view) throw new IllegalStateException("a view decodes on its model's serving weights");
        if (decodeWeights != null) decodeWeights.release();
        decodeWeights = weights == ServingWeights.FP32 ? null : LlamaDecodeWeights.of(be, config, layers, head, weights);
    }

    public ServingWeights serving() {
        return decodeWeights == null ? ServingWeights.FP32 : decodeWeights.format();
    }

    public ComputeBackend backend() {
        return be;
    }

    /** The weights, for saving: the embedding, the blocks, the final norm, and the head (the embedding when tied). */
    public Tensor embedding() { return embed; }

    public List<Layer> layers() { return layers; }

    public Tensor finalNorm() { return finalNorm; }

    public Tensor head() { return head; }

    /** Logits [T, V] of every position of ids (T at most the context), from a fresh start. */
    public float[] forward(int[] ids) {
        try (LlamaCache cache = new LlamaCache(be, config, Math.max(1, Math.min(ids.length, config.contextLength())))) {
            return forward(ids, cache, true);
        }
    }

    /**
     * Takes ids in after the positions cache holds (a prompt, or one token of a decode step) and returns the logits of
     * every new row [T, V] (allRows) or of the last one [V]. Keys and values go into the cache as they are made.
     */
    public float[] forward(int[] ids, LlamaCache cache, boolean allRows) {
        return pass(ids, new LlamaCache[] {cache}, new int[] {ids.length}, allRows ? Output.ALL_LOGITS : Output.LAST_LOGITS);
    }

    /**
     * The final RMSNorm's output [T, H] of every position of ids (1 to the context), from a fresh start and on the fp32
     * weights whatever {@link #serve} chose: what the logits are the head's product of, and what an embedding pools.
     */
    public float[] hiddenStates(int[] ids) {
        if (ids.length == 0 || ids.length > config.contextLength()) {
            throw new IllegalArgumentException("1 to " + config.contextLength() + " tokens, got " + ids.length);
        }
        try (LlamaCache cache = newCache(ids.length)) {
            return pass(ids, new LlamaCache[] {cache}, new int[] {ids.length}, Output.HIDDEN);
        }
    }

    /**
     * A prompt into an empty cache; the logits after its last token. With a prefix cache, the first blocks that an
     * earlier prompt began with too are copied in and only the rest computed: the same logits to the bit, since every
     * operation here gives a row the same floats however many rows run with it (LlamaPrefixCacheTest).
     */
    @Override
    public float[] prefill(int[] tokens, LlamaCache cache) {
        if (tokens.length == 0) throw new IllegalArgumentException("empty prompt");
        if (cache.length() != 0) throw new IllegalArgumentException("prefill into a cache that already holds " + cache.length() + " positions");
        if (tokens.length > cache.capacity()) throw new IllegalArgumentException("prompt of " + tokens.length + " tokens is over the cache's " + cache.capacity());
        int start = prefixCache == null ? 0 : prefixCache.restore(tokens, cache);
        float[] logits = forward(Arrays.copyOfRange(tokens, start, tokens.length), cache, false);
        if (prefixCache != null) prefixCache.store(tokens, cache);
        return logits;
    }

    @Override
    public PrefixCache newPrefixCache(long megabytes, PrefixCache.Listener listener) {
        int width = config.kvHeads() * config.headDim();
        return new PrefixCache(be, config.layers(), width, PrefixCache.blocksIn(megabytes, config.layers(), width), listener);
    }

    @Override
    public void usePrefixCache(PrefixCache cache) {
        if (cache != null && !cache.fits(config.layers(), config.kvHeads() * config.headDim())) {
            throw new IllegalArgumentException("a prefix cache for another model shape");
        }
        if (prefixCache != null && prefixCache != cache) prefixCache.close();
        prefixCache = cache;
    }

    /**
     * One decode step for several sequences together: sequence i appends tokens[i] at its own position
     * caches.get(i).length(). The products read each weight once for the whole batch (the serving weights of
     * {@link #serve}); rotation and attention run per sequence on its own cache. Each row gets the floats a step of
     * its sequence alone would give (LlamaBatchDecodeTest).
     */
    @Override
    public float[][] decodeBatch(int[] tokens, List<LlamaCache> caches) {
        int nb = tokens.length;
        if (nb == 0 || caches.size() != nb) throw new IllegalArgumentException("one cache per token, at least one");
        int[] ones = new int[nb];
        Arrays.fill(ones, 1);
        float[] all = pass(tokens, caches.toArray(LlamaCache[]::new), ones, Output.ALL_LOGITS);
        float[][] out = new float[nb][];
        for (int i = 0; i < nb; i++) out[i] = Arrays.copyOfRange(all, i * config.vocabSize(), (i + 1) * config.vocabSize());
        return out;
    }

    @Override public int contextLength() { return config.contextLength(); }

    @Override public int vocabSize() { return config.vocabSize(); }

    @Override public long cacheBytesPerPosition() { return 2L * config.layers() * config.kvHeads() * config.headDim() * Float.BYTES; }

    @Override public LlamaCache newCache(int capacity) { return new LlamaCache(be, config, capacity); }

    @Override public ServingWeights weights() { return serving(); }

    /**
     * The blocks over rows that come in segments: segment s is counts[s] consecutive tokens of ids appended to
     * caches[s] at its length (a prompt: one segment; a batched decode step: one row per sequence). Products run over
     * all rows at once; rotation, the cache writes and attention per segment. A step whose segments are one row each
     * reads the serving weights (bf16/int8/panels), anything longer (and hidden states) the fp32 ones.
     */
    private float[] pass(int[] ids, LlamaCache[] caches, int[] counts, Output output) {
        LlamaConfig c = config;
        int t = ids.length, h = c.hidden(), d = c.headDim(), qw = c.heads() * d, kvw = c.kvHeads() * d, in = c.intermediate();
        int[] starts = new int[caches.length];
        boolean allRows = output != Output.LAST_LOGITS;
        boolean decodeStep = decodeWeights != null && output != Output.HIDDEN;
        for (int s = 0, rows = 0; s < caches.length; rows += counts[s], s++) {
            starts[s] = caches[s].length();
            if (counts[s] < 1 || counts[s] > caches[s].capacity() - starts[s]) {
                throw new IllegalArgumentException(counts[s] + " tokens after " + starts[s] + " do not fit a cache of " + caches[s].capacity());
            }
            decodeStep &= counts[s] == 1;
            if (s == caches.length - 1 && rows + counts[s] != t) throw new IllegalArgumentException("segments of " + (rows + counts[s]) + " rows for " + t + " ids");
        }
        for (int id : ids) if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " outside the vocabulary");
        int outRows = allRows ? t : 1;
        if ((long) outRows * c.vocabSize() > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(t + " rows of logits do not fit one array");
        List<Tensor> scratch = new ArrayList<>();
        try {
            Tensor x = keep(scratch, (long) t * h), norm = keep(scratch, (long) t * h), rstd = keep(scratch, (long) t * c.heads());
            Tensor q = keep(scratch, (long) t * qw), k = keep(scratch, (long) t * kvw), v = keep(scratch, (long) t * kvw);
            Tensor attended = keep(scratch, (long) t * qw), projected = keep(scratch, (long) t * h);
            Tensor gate = keep(scratch, (long) t * in), up = keep(scratch, (long) t * in);
            // a decode step's stacked products: [q k v] and [gate up] of each row
            Tensor qkv = decodeStep ? keep(scratch, (long) t * (qw + 2 * kvw)) : null, gateUp = decodeStep ? keep(scratch, 2L * t * in) : null;
            be.embeddingForward(x, ids, embed, t, h);
            if (adapters != null) adapters.prepare(t);
            for (int n = 0; n < layers.size(); n++) {
                Layer l = layers.get(n);
                LlamaDecodeWeights.Block f = decodeStep ? decodeWeights.blocks().get(n) : null;
                be.rmsNormForward(norm, rstd, x, l.inputNorm(), t, h, c.rmsNormEps());
                if (decodeStep) {
                    int width = qw + 2 * kvw;
                    be.matmulForward(qkv, norm, f.qkv(), null, t, h, width);
                    for (int r = 0; r < t; r++) {
                        be.copy(be.slice(q, (long) r * qw, qw), be.slice(qkv, (long) r * width, qw));
                        be.copy(be.slice(k, (long) r * kvw, kvw), be.slice(qkv, (long) r * width + qw, kvw));
                        be.copy(be.slice(v, (long) r * kvw, kvw), be.slice(qkv, (long) r * width + qw + kvw, kvw));
                    }
                } else {
                    be.matmulForward(q, norm, l.wq(), null, t, h, qw);
                    be.matmulForward(k, norm, l.wk(), null, t, h, kvw);
                    be.matmulForward(v, norm, l.wv(), null, t, h, kvw);
                }
                adapt(n, LlamaLora.Target.Q, norm, q, t);
                adapt(n, LlamaLora.Target.K, norm, k, t);
                adapt(n, LlamaLora.Target.V, norm, v, t);
                if (c.qkNorm()) {
                    be.rmsNormForward(q, rstd, q, l.qNorm(), t * c.heads(), d, c.rmsNormEps());
                    be.rmsNormForward(k, rstd, k, l.kNorm(), t * c.kvHeads(), d, c.rmsNormEps());
                }
                for (int s = 0, row = 0; s < caches.length; row += counts[s], s++) {
                    int rows = counts[s], start = starts[s];
                    Tensor qs = be.slice(q, (long) row * qw, (long) rows * qw), ks = be.slice(k, (long) row * kvw, (long) rows * kvw);
                    be.ropeForward(qs, rows, c.heads(), d, start, invFreq);
                    be.ropeForward(ks, rows, c.kvHeads(), d, start, invFreq);
                    // this segment's keys (rotated) and values into their rows of its cache, then attention over them
                    be.copy(be.slice(caches[s].keys(n), (long) start * kvw, (long) rows * kvw), ks);
                    be.copy(be.slice(caches[s].values(n), (long) start * kvw, (long) rows * kvw), be.slice(v, (long) row * kvw, (long) rows * kvw));
                    be.groupedAttentionForward(be.slice(attended, (long) row * qw, (long) rows * qw), qs, caches[s].keys(n), caches[s].values(n),
                            start, rows, c.heads(), c.kvHeads(), d);
                }
                be.matmulForward(projected, attended, decodeStep ? f.wo() : l.wo(), null, t, qw, h);
                adapt(n, LlamaLora.Target.O, attended, projected, t);
                be.residualForward(x, x, projected, t * h);
                be.rmsNormForward(norm, rstd, x, l.postNorm(), t, h, c.rmsNormEps());
                boolean adaptedMlp = adapters != null && (adapters.covers(LlamaLora.Target.GATE) || adapters.covers(LlamaLora.Target.UP));
                if (decodeStep && !adaptedMlp) {
                    be.matmulForward(gateUp, norm, f.gateUp(), null, t, h, 2 * in);
                    for (int r = 0; r < t; r++) {
                        be.swigluForward(be.slice(gate, (long) r * in, in), be.slice(gateUp, 2L * r * in, in), be.slice(gateUp, 2L * r * in + in, in), in);
                    }
                } else {
                    if (decodeStep) { // the stacked product, then gate and up apart for their adapters
                        be.matmulForward(gateUp, norm, f.gateUp(), null, t, h, 2 * in);
                        for (int r = 0; r < t; r++) {
                            be.copy(be.slice(gate, (long) r * in, in), be.slice(gateUp, 2L * r * in, in));
                            be.copy(be.slice(up, (long) r * in, in), be.slice(gateUp, 2L * r * in + in, in));
                        }
                    } else {
                        be.matmulForward(gate, norm, l.wGate(), null, t, h, in);
                        be.matmulForward(up, norm, l.wUp(), null, t, h, in);
                    }
                    adapt(n, LlamaLora.Target.GATE, norm, gate, t);
                    adapt(n, LlamaLora.Target.UP, norm, up, t);
                    be.swigluForward(gate, gate, up, t * in);
                }
                be.matmulForward(projected, gate, decodeStep ? f.wDown() : l.wDown(), null, t, in, h);
                adapt(n, LlamaLora.Target.DOWN, gate, projected, t);
                be.residualForward(x, x, projected, t * h);
            }
            for (int s = 0; s < caches.length; s++) caches[s].advance(counts[s]);
            Tensor last = allRows ? x : be.slice(x, (long) (t - 1) * h, h);
            be.rmsNormForward(norm, rstd, last, finalNorm, outRows, h, c.rmsNormEps());
            if (output == Output.HIDDEN) {
                float[] hidden = new float[t * h];
                be.read(norm, 0, hidden, 0, hidden.length);
                return hidden;
            }
            Tensor logits = keep(scratch, (long) outRows * c.vocabSize());
            be.matmulForward(logits, norm, decodeStep ? decodeWeights.head() : head, null, outRows, h, c.vocabSize());
            float[] out = new float[outRows * c.vocabSize()];
            be.read(logits, 0, out, 0, out.length);
            return out;
        } finally {
            for (Tensor s : scratch) be.release(s);
        }
    }

    /** What a pass answers: the last row's logits, every row's, or every row's final hidden state. */
    private enum Output { LAST_LOGITS, ALL_LOGITS, HIDDEN }

    private Tensor keep(List<Tensor> scratch, long size) {
        Tensor tensor = be.allocate(size);
        scratch.add(tensor);
        return tensor;
    }

    /**
     * A model that reads this one's weights and decode copies (as they are now) without copying them, for adapters of
     * its own ({@link #attach}): several LoRA adapters served on one base. Closing it leaves the weights here; this
     * model must outlive it.
     */
    public LlamaModel sharingWeights() {
        LlamaModel v = new LlamaModel(be, config, embed, layers, finalNorm, head, true);
        v.decodeWeights = decodeWeights;
        return v;
    }

    /**
     * Adds the adapters' s · (x·Aᵀ)·Bᵀ to their layers' outputs in every pass from now on (unmerged: the weights stay
     * the base's, so a view of shared weights can serve them); the model owns them and closes them with itself.
     */
    public void attach(LlamaLora lora) {
        if (!lora.config().equals(config)) throw new IllegalArgumentException("the adapters were made for another configuration");
        if (adapters != null) adapters.close();
        adapters = lora;
    }

    /** out = x·Wᵀ's adapter term, when layer n's target is adapted. */
    private void adapt(int n, LlamaLora.Target target, Tensor x, Tensor out, int t) {
        if (adapters != null && adapters.covers(target)) adapters.forward(n, target, x, out, t);
    }

    @Override
    public void close() {
        if (prefixCache != null) prefixCache.close();
        if (adapters != null) adapters.close();
        if (view) return;
        if (decodeWeights != null) decodeWeights.release();
        be.release(embed);
        be.release(finalNorm);
        if (head != embed) be.release(head);
        for (Layer l : layers) {
            for (Tensor w : new Tensor[] {l.inputNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.qNorm(), l.kNorm(), l.postNorm(),
                    l.wGate(), l.wUp(), l.wDown()}) {
                if (w != null) be.release(w);
            }
        }
    }
}
