package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.generate.KvCache;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The GPT-2 model: embeddings, L transformer blocks (pre-LayerNorm attention and MLP, each a residual
 * branch with dropout), a final LayerNorm and the output head. Weights, gradients and activations
 * live in the backend; this class only sequences the backend's operations, forward and backward.
 */
public final class GptModel implements AutoCloseable {
    private final GptConfig cfg;
    private final ParameterLayout layout;
    private final ComputeBackend be;
    private final Tensor params;
    private Tensor grads;
    private Activations acts;
    private int[] inputs;
    private int[] targets;
    private boolean training;
    private long dropoutSeed;
    /** Which parameters train: backward skips the weight gradients of the others, and the layers below the lowest trainable one. */
    private Predicate<String> trainable = name -> true;
    /** Low-rank adapters on the linear layers (null: none). */
    private LoraAdapters lora;

    /** False for a view made by {@link #sharingWeights}: its base owns the weights. */
    private final boolean ownsWeights;

    public GptModel(ComputeBackend backend, GptConfig config) {
        this.be = backend;
        this.cfg = config;
        this.layout = ParameterLayout.of(config);
        this.params = backend.allocate(layout.totalSize());
        this.ownsWeights = true;
    }

    private GptModel(GptModel base) {
        this.be = base.be;
        this.cfg = base.cfg;
        this.layout = base.layout;
        this.params = base.params;
        this.int8 = base.int8;
        this.ownsWeights = false;
    }

    /**
     * A model that reads this model's weights (and 8-bit copies) without copying them, with its own
     * working buffers and its own adapters: several adapters served on one loaded base. For inference
     * only (it has no gradients of its own to train the shared weights with); closing it leaves the
     * weights to their owner.
     */
    public GptModel sharingWeights() {
        return new GptModel(this);
    }

    public GptConfig config() { return cfg; }
    public ParameterLayout layout() { return layout; }
    public ComputeBackend backend() { return be; }
    public Tensor parameters() { return params; }

    /** The gradient buffer, same layout as the parameters; allocated on first use. */
    public Tensor gradients() {
        if (grads == null) grads = be.allocate(layout.totalSize());
        return grads;
    }

    public Tensor param(String name) {
        ParameterLayout.Spec s = layout.get(name);
        return be.slice(params, s.offset(), s.size());
    }

    private Tensor grad(String name) {
        ParameterLayout.Spec s = layout.get(name);
        return be.slice(gradients(), s.offset(), s.size());
    }

    private Tensor optionalParam(String name) { return layout.has(name) ? param(name) : null; }

    private String outputHead() { return cfg.tiedOutputHead() ? "wte" : "lm_head.weight"; }

    /**
     * Freezes every parameter the test rejects: their weight gradients are not computed (LayerNorm's,
     * which are cheap, still are, and are simply not used), and backward stops below the lowest layer
     * that has a trainable parameter or an adapter. The optimizer must be given the same set.
     */
    public void setTrainable(Predicate<String> trainable) {
        this.trainable = trainable;
    }

    public boolean isTrainable(String name) { return trainable.test(name); }

    /** Attaches LoRA adapters (or detaches with null): they add their low-rank update to each target layer. */
    public void attach(LoraAdapters adapters) {
        if (adapters != null && !adapters.config().equals(cfg)) throw new IllegalArgumentException("adapters made for another model shape");
        this.lora = adapters;
    }

    public LoraAdapters adapters() { return lora; }

    /** The gradient of a trainable parameter, or null for a frozen one (a matmul then skips it). */
    private Tensor trainableGrad(String name) {
        return layout.has(name) && trainable.test(name) ? grad(name) : null;
    }

    /** The lowest layer backward must reach: one with a trainable parameter or adapter (-1: the embeddings). */
    private int lowestTrainableLayer() {
        if (trainable.test("wte") || trainable.test("wpe")) return -1;
        for (int l = 0; l < cfg.layers(); l++) {
            String w = "h." + l + ".";
            if (lora != null && lora.hasLayer(l)) return l;
            for (ParameterLayout.Spec s : layout.specs()) if (s.name().startsWith(w) && trainable.test(s.name())) return l;
        }
        return cfg.layers();
    }

    /**
     * GPT-2's initialization: weights N(0, 0.02), the residual projections (attn.c_proj, mlp.c_proj)
     * N(0, 0.02/√(2L)), biases 0, LayerNorm weights 1. Deterministic for a seed.
     */
    public void initialize(long seed) {
        Random rnd = new Random(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * cfg.layers());
        float[] chunk = new float[1 << 20]; // written piecewise: no tensor-sized temporary on the heap
        for (ParameterLayout.Spec s : layout.specs()) {
            boolean lnWeight = s.name().endsWith("ln_1.weight") || s.name().endsWith("ln_2.weight") || s.name().equals("ln_f.weight");
            double std = s.name().endsWith("c_proj.weight") ? residualStd : 0.02;
            for (long from = 0; from < s.size(); from += chunk.length) {
                int n = (int) Math.min(chunk.length, s.size() - from);
                for (int i = 0; i < n; i++) {
                    chunk[i] = lnWeight ? 1f : s.shape().length > 1 ? (float) (rnd.nextGaussian() * std) : 0f;
                }
                be.write(params, s.offset() + from, chunk, 0, n);
            }
        }
    }

    // ================================================================ forward

    /**
     * Runs the model on inputs [B, T]. With targets, returns the mean cross-entropy (ignoring -100);
     * without, NaN. In training mode dropout is on, its masks drawn from dropoutSeed.
     */
    public double forward(int[] inputs, int[] targets, int b, int t, boolean training, long dropoutSeed) {
        return forward(inputs, targets, null, b, t, training, dropoutSeed);
    }

    /**
     * As above, for windows that pack several documents: documentStarts[B,T] gives, per token, the
     * position where its document begins, and attention stays within the document. Positions (wpe)
     * run on across the window.
     */
    public double forward(int[] inputs, int[] targets, int[] documentStarts, int b, int t, boolean training, long dropoutSeed) {
        forwardHidden(inputs, documentStarts, b, t, training, dropoutSeed);
        this.targets = targets;
        int n = b * t, c = cfg.embeddingDim(), v = cfg.vocabSize();
        Activations a = acts;
        be.matmulForward(a.logits, a.lnf, param(outputHead()), null, n, c, v);
        if (targets == null) return Double.NaN;
        if (targets.length != n) throw new IllegalArgumentException("targets must hold B*T = " + n + " ids");
        return be.crossEntropyForward(a.logits, targets, a.losses, a.lse, n, v);
    }

    /**
     * The transformer without its output head: inputs [B, T] to the final LayerNorm's output [B, T, C]
     * ({@link #hidden()}), for a head of another kind (a classifier) to read.
     */
    public void forwardHidden(int[] inputs, int[] documentStarts, int b, int t, boolean training, long dropoutSeed) {
        if (documentStarts != null && documentStarts.length != b * t) throw new IllegalArgumentException("documentStarts must hold B*T values");
        if (t > cfg.contextLength()) throw new IllegalArgumentException("sequence of " + t + " is over the context length " + cfg.contextLength());
        if (inputs.length != b * t) throw new IllegalArgumentException("inputs must hold B*T = " + b * t + " ids");
        for (int id : inputs) if (id < 0 || id >= cfg.vocabSize()) throw new IllegalArgumentException("token id " + id + " outside the vocabulary");
        if (acts == null || acts.b != b || acts.t != t) acts = new Activations(be, cfg, b, t, acts); // reuses acts' buffers
        this.inputs = inputs;
        this.targets = null;
        this.training = training;
        this.dropoutSeed = dropoutSeed;
        float p = training ? (float) cfg.dropRate() : 0f;
        int n = b * t, c = cfg.embeddingDim(), nh = cfg.heads();
        Activations a = acts;

        be.encoderForward(a.encoded, inputs, param("wte"), param("wpe"), b, t, c);
        be.dropout(a.encoded, n * c, p, dropoutSeed, 0);
        for (int l = 0; l < cfg.layers(); l++) {
            String w = "h." + l + ".";
            Tensor residual = l == 0 ? a.encoded : a.layer(a.residual3, l - 1);
            Tensor ln1 = a.layer(a.ln1, l), qkv = a.layer(a.qkv, l), atty = a.layer(a.atty, l);
            Tensor attproj = a.layer(a.attproj, l), res2 = a.layer(a.residual2, l), ln2 = a.layer(a.ln2, l);
            Tensor fch = a.layer(a.fch, l), fchGelu = a.layer(a.fchGelu, l), fcproj = a.layer(a.fcproj, l);
            be.layerNormForward(ln1, a.layer(a.ln1Mean, l), a.layer(a.ln1Rstd, l), residual,
                    param(w + "ln_1.weight"), param(w + "ln_1.bias"), n, c);
            be.matmulForward(qkv, ln1, param(w + "attn.c_attn.weight"), optionalParam(w + "attn.c_attn.bias"), n, c, 3 * c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.QKV, qkv, ln1, n);
            be.attentionForward(atty, a.layer(a.att, l), qkv, documentStarts, b, t, c, nh, p, dropoutSeed, 1 + 3L * l);
            be.matmulForward(attproj, atty, param(w + "attn.c_proj.weight"), param(w + "attn.c_proj.bias"), n, c, c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.ATTN_PROJ, attproj, atty, n);
            be.dropout(attproj, n * c, p, dropoutSeed, 2 + 3L * l);
            be.residualForward(res2, residual, attproj, n * c);
            be.layerNormForward(ln2, a.layer(a.ln2Mean, l), a.layer(a.ln2Rstd, l), res2,
                    param(w + "ln_2.weight"), param(w + "ln_2.bias"), n, c);
            be.matmulForward(fch, ln2, param(w + "mlp.c_fc.weight"), param(w + "mlp.c_fc.bias"), n, c, 4 * c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.FC, fch, ln2, n);
            be.geluForward(fchGelu, fch, n * 4 * c);
            be.matmulForward(fcproj, fchGelu, param(w + "mlp.c_proj.weight"), param(w + "mlp.c_proj.bias"), n, 4 * c, c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.FC_PROJ, fcproj, fchGelu, n);
            be.dropout(fcproj, n * c, p, dropoutSeed, 3 + 3L * l);
            be.residualForward(a.layer(a.residual3, l), res2, fcproj, n * c);
        }
        be.layerNormForward(a.lnf, a.lnfMean, a.lnfRstd, a.layer(a.residual3, cfg.layers() - 1),
                param("ln_f.weight"), param("ln_f.bias"), n, c);
    }

    /** The final LayerNorm's output [B, T, C] of the last forward. */
    public Tensor hidden() { return acts.lnf; }

    /** The logits of the last forward, [B, T, V], copied to the host. */
    public float[] logits() {
        float[] out = new float[acts.n * cfg.vocabSize()];
        be.read(acts.logits, 0, out, 0, out.length);
        return out;
    }

    /** Row (b, t) of the last forward's logits. */
    public float[] logitsAt(int bi, int ti) {
        float[] out = new float[cfg.vocabSize()];
        be.read(acts.logits, (long) (bi * acts.t + ti) * cfg.vocabSize(), out, 0, out.length);
        return out;
    }

    // ================================================================ backward

    public void zeroGradients() {
        be.zero(gradients());
    }

    /**
     * Adds d(lossScale · loss)/dθ to the gradients, for the last forward (which must have had targets).
     * lossScale is 1 for one batch per step and 1/k when accumulating k micro-batches.
     */
    public void backward(float lossScale) {
        if (acts == null || targets == null) throw new IllegalStateException("backward needs a forward with targets");
        Activations a = acts;
        int n = a.n, c = cfg.embeddingDim(), v = cfg.vocabSize();
        gradients();
        be.crossEntropyBackward(a.logits, targets, a.lse, n, v, lossScale);
        be.zero(a.dlnf);
        be.matmulBackward(a.dlnf, trainableGrad(outputHead()), null, a.logits, a.lnf, param(outputHead()), n, c, v);
        backwardFromHidden();
        targets = null; // the logits buffer now holds gradients
    }

    /** Zeroes and returns d(loss)/d(hidden) [B, T, C], for a head of another kind to fill before {@link #backwardFromHidden}. */
    public Tensor hiddenGradient() {
        gradients();
        be.zero(acts.dlnf);
        return acts.dlnf;
    }

    /** Backward through the transformer from d(loss)/d(hidden), as far down as something trains. */
    public void backwardFromHidden() {
        Activations a = acts;
        int b = a.b, t = a.t, n = a.n, c = cfg.embeddingDim(), nh = cfg.heads();
        float p = training ? (float) cfg.dropRate() : 0f;
        int lowest = lowestTrainableLayer();
        if (lowest >= cfg.layers() && !trainable.test("ln_f.weight") && !trainable.test("ln_f.bias")) return;
        be.zero(a.dres);
        be.layerNormBackward(a.dres, grad("ln_f.weight"), grad("ln_f.bias"), a.dlnf,
                a.layer(a.residual3, cfg.layers() - 1), param("ln_f.weight"), a.lnfMean, a.lnfRstd, n, c);

        for (int l = cfg.layers() - 1; l >= Math.max(lowest, 0); l--) {
            String w = "h." + l + ".";
            Tensor residual = l == 0 ? a.encoded : a.layer(a.residual3, l - 1);
            for (Tensor s : new Tensor[] {a.dres2, a.dln1, a.dqkv, a.datty, a.dattproj, a.dln2, a.dfch, a.dfchGelu, a.dfcproj}) {
                be.zero(s);
            }
            // residual3 = residual2 + dropout(fcproj)
            be.residualBackward(a.dres2, a.dfcproj, a.dres, n * c);
            be.dropout(a.dfcproj, n * c, p, dropoutSeed, 3 + 3L * l);
            be.matmulBackward(a.dfchGelu, trainableGrad(w + "mlp.c_proj.weight"), trainableGrad(w + "mlp.c_proj.bias"), a.dfcproj,
                    a.layer(a.fchGelu, l), param(w + "mlp.c_proj.weight"), n, 4 * c, c);
            if (lora != null) lora.backward(l, LoraAdapters.Target.FC_PROJ, a.dfcproj, a.layer(a.fchGelu, l), a.dfchGelu, n);
            be.geluBackward(a.dfch, a.layer(a.fch, l), a.dfchGelu, n * 4 * c);
            be.matmulBackward(a.dln2, trainableGrad(w + "mlp.c_fc.weight"), trainableGrad(w + "mlp.c_fc.bias"), a.dfch,
                    a.layer(a.ln2, l), param(w + "mlp.c_fc.weight"), n, c, 4 * c);
            if (lora != null) lora.backward(l, LoraAdapters.Target.FC, a.dfch, a.layer(a.ln2, l), a.dln2, n);
            be.layerNormBackward(a.dres2, grad(w + "ln_2.weight"), grad(w + "ln_2.bias"), a.dln2,
                    a.layer(a.residual2, l), param(w + "ln_2.weight"), a.layer(a.ln2Mean, l), a.layer(a.ln2Rstd, l), n, c);
            // residual2 = residual + dropout(attproj)
            be.zero(a.dres);
            be.residualBackward(a.dres, a.dattproj, a.dres2, n * c);
            be.dropout(a.dattproj, n * c, p, dropoutSeed, 2 + 3L * l);
            be.matmulBackward(a.datty, trainableGrad(w + "attn.c_proj.weight"), trainableGrad(w + "attn.c_proj.bias"), a.dattproj,
                    a.layer(a.atty, l), param(w + "attn.c_proj.weight"), n, c, c);
            if (lora != null) lora.backward(l, LoraAdapters.Target.ATTN_PROJ, a.dattproj, a.layer(a.atty, l), a.datty, n);
            be.attentionBackward(a.dqkv, a.datty, a.layer(a.qkv, l), a.layer(a.att, l), b, t, c, nh, p,
                    dropoutSeed, 1 + 3L * l);
            be.matmulBackward(a.dln1, trainableGrad(w + "attn.c_attn.weight"), trainableGrad(w + "attn.c_attn.bias"), a.dqkv,
                    a.layer(a.ln1, l), param(w + "attn.c_attn.weight"), n, c, 3 * c);
            if (lora != null) lora.backward(l, LoraAdapters.Target.QKV, a.dqkv, a.layer(a.ln1, l), a.dln1, n);
            be.layerNormBackward(a.dres, grad(w + "ln_1.weight"), grad(w + "ln_1.bias"), a.dln1, residual,
                    param(w + "ln_1.weight"), a.layer(a.ln1Mean, l), a.layer(a.ln1Rstd, l), n, c);
        }
        if (lowest >= 0) return; // the embeddings are frozen: nothing below needs a gradient
        be.dropout(a.dres, n * c, p, dropoutSeed, 0);
        be.encoderBackward(grad("wte"), grad("wpe"), a.dres, inputs, b, t, c);
    }

    // ================================================================ inference with a KV cache

    /** The linear layers' weights in 8 bits for decode steps, or null (fp32). Training never reads them. */
    private Map<String, Tensor> int8;

    /**
     * From now on decode steps read the linear layers (and the output head) from 8-bit copies with one
     * scale per 64 values: a quarter of the bytes per step. The fp32 weights stay for prompt prefill
     * (a compute-bound product that 8 bits would not speed) and for training.
     */
    public void quantizeForServing() {
        Map<String, Tensor> q = new HashMap<>();
        int c = cfg.embeddingDim();
        for (int l = 0; l < cfg.layers(); l++) {
            String w = "h." + l + ".";
            q.put(w + "attn.c_attn.weight", be.quantize8(param(w + "attn.c_attn.weight"), 3 * c, c));
            q.put(w + "attn.c_proj.weight", be.quantize8(param(w + "attn.c_proj.weight"), c, c));
            q.put(w + "mlp.c_fc.weight", be.quantize8(param(w + "mlp.c_fc.weight"), 4 * c, c));
            q.put(w + "mlp.c_proj.weight", be.quantize8(param(w + "mlp.c_proj.weight"), c, 4 * c));
        }
        q.put(outputHead(), be.quantize8(param(outputHead()), cfg.vocabSize(), c));
        int8 = q;
    }

    public boolean quantized() { return int8 != null; }

    private Tensor servingWeight(String name) {
        Tensor q = int8 == null ? null : int8.get(name);
        return q != null ? q : param(name);
    }


    /**
     * Runs the prompt through the model in one batched pass, stores every position's keys and values
     * in the cache, and returns the logits after the last token.
     */
    public float[] prefill(int[] tokens, KvCache cache) {
        int t = tokens.length, c = cfg.embeddingDim();
        if (t == 0) throw new IllegalArgumentException("empty prompt");
        if (t > cache.capacity()) throw new IllegalArgumentException("prompt of " + t + " tokens is over the cache's " + cache.capacity());
        forward(tokens, null, 1, t, false, 0);
        for (int l = 0; l < cfg.layers(); l++) {
            Tensor qkv = acts.layer(acts.qkv, l);
            for (int p = 0; p < t; p++) {
                be.copy(be.slice(cache.keys(l), (long) p * c, c), be.slice(qkv, (long) p * 3 * c + c, c));
                be.copy(be.slice(cache.values(l), (long) p * c, c), be.slice(qkv, (long) p * 3 * c + 2L * c, c));
            }
        }
        cache.setLength(t);
        return logitsAt(0, t - 1);
    }

    /** Appends one token at position cache.length(), computing only that position; returns the next logits. */
    public float[] decode(int token, KvCache cache) {
        if (cache.length() >= cache.capacity()) throw new IllegalStateException("the KV cache is full (" + cache.length() + " positions)");
        return decodeBatch(new int[] {token}, new KvCache[] {cache})[0];
    }

    /** Working buffers for batched decode steps, grown to the largest batch seen. */
    private final class BatchBuffers {
        final int rows;
        final int c = cfg.embeddingDim();
        final Tensor x, ln, mean, rstd, qkv, atty, proj, fch, fchGelu, logits;
        private final OwnedTensors owned = new OwnedTensors(be);

        BatchBuffers(int rows) {
            this.rows = rows;
            x = owned.allocate((long) rows * c);
            ln = owned.allocate((long) rows * c);
            mean = owned.allocate(rows);
            rstd = owned.allocate(rows);
            qkv = owned.allocate(3L * rows * c);
            atty = owned.allocate((long) rows * c);
            proj = owned.allocate((long) rows * c);
            fch = owned.allocate(4L * rows * c);
            fchGelu = owned.allocate(4L * rows * c);
            logits = owned.allocate((long) rows * cfg.vocabSize());
        }

        void release() {
            owned.release();
        }
    }

    private BatchBuffers batch;

    /**
     * One decode step for several sequences at once (continuous batching): sequence i appends
     * tokens[i] at its own position caches[i].length(). The linear layers read each weight once for
     * the whole batch, which is what makes serving many requests cheaper than serving them in turn;
     * attention runs per sequence against its own cache. Returns each sequence's next-token logits.
     */
    public float[][] decodeBatch(int[] tokens, KvCache[] caches) {
        int nb = tokens.length, c = cfg.embeddingDim(), nh = cfg.heads(), v = cfg.vocabSize();
        if (nb != caches.length || nb == 0) throw new IllegalArgumentException("one cache per token, at least one");
        if (batch == null || batch.rows < nb) {
            if (batch != null) batch.release();
            batch = new BatchBuffers(nb);
        }
        BatchBuffers d = batch;
        for (int i = 0; i < nb; i++) {
            int pos = caches[i].length();
            if (pos >= caches[i].capacity()) throw new IllegalStateException("sequence " + i + ": the KV cache is full");
            if (tokens[i] < 0 || tokens[i] >= v) throw new IllegalArgumentException("token id " + tokens[i] + " outside the vocabulary");
            be.encoderForward(be.slice(d.x, (long) i * c, c), new int[] {tokens[i]}, param("wte"),
                    be.slice(param("wpe"), (long) pos * c, c), 1, 1, c);
        }
        Tensor x = be.slice(d.x, 0, (long) nb * c), ln = be.slice(d.ln, 0, (long) nb * c);
        Tensor mean = be.slice(d.mean, 0, nb), rstd = be.slice(d.rstd, 0, nb);
        Tensor qkv = be.slice(d.qkv, 0, 3L * nb * c), atty = be.slice(d.atty, 0, (long) nb * c);
        Tensor proj = be.slice(d.proj, 0, (long) nb * c), fch = be.slice(d.fch, 0, 4L * nb * c);
        Tensor fchGelu = be.slice(d.fchGelu, 0, 4L * nb * c), logits = be.slice(d.logits, 0, (long) nb * v);
        for (int l = 0; l < cfg.layers(); l++) {
            String w = "h." + l + ".";
            be.layerNormForward(ln, mean, rstd, x, param(w + "ln_1.weight"), param(w + "ln_1.bias"), nb, c);
            be.matmulForward(qkv, ln, servingWeight(w + "attn.c_attn.weight"), optionalParam(w + "attn.c_attn.bias"), nb, c, 3 * c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.QKV, qkv, ln, nb);
            for (int i = 0; i < nb; i++) {
                be.attentionDecode(be.slice(atty, (long) i * c, c), be.slice(qkv, 3L * i * c, 3L * c),
                        caches[i].keys(l), caches[i].values(l), caches[i].length(), c, nh);
            }
            be.matmulForward(proj, atty, servingWeight(w + "attn.c_proj.weight"), param(w + "attn.c_proj.bias"), nb, c, c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.ATTN_PROJ, proj, atty, nb);
            be.residualForward(x, x, proj, nb * c);
            be.layerNormForward(ln, mean, rstd, x, param(w + "ln_2.weight"), param(w + "ln_2.bias"), nb, c);
            be.matmulForward(fch, ln, servingWeight(w + "mlp.c_fc.weight"), param(w + "mlp.c_fc.bias"), nb, c, 4 * c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.FC, fch, ln, nb);
            be.geluForward(fchGelu, fch, nb * 4 * c);
            be.matmulForward(proj, fchGelu, servingWeight(w + "mlp.c_proj.weight"), param(w + "mlp.c_proj.bias"), nb, 4 * c, c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.FC_PROJ, proj, fchGelu, nb);
            be.residualForward(x, x, proj, nb * c);
        }
        be.layerNormForward(ln, mean, rstd, x, param("ln_f.weight"), param("ln_f.bias"), nb, c);
        be.matmulForward(logits, ln, servingWeight(outputHead()), null, nb, c, v);
        float[][] out = new float[nb][v];
        for (int i = 0; i < nb; i++) {
            caches[i].setLength(caches[i].length() + 1);
            be.read(logits, (long) i * v, out[i], 0, v);
        }
        return out;
    }

    @Override
    /**
     * Gives the model's buffers (parameters, gradients, activations, decode buffers, 8-bit copies) back
     * to the backend: a device backend reuses the memory. The model must not be used afterwards.
     */
    public void close() {
        if (acts != null) acts.release();
        if (batch != null) batch.release();
        if (grads != null) be.release(grads);
        if (ownsWeights) {
            if (int8 != null) int8.values().forEach(be::release);
            be.release(params);
        }
        acts = null;
        batch = null;
        int8 = null;
        grads = null;
    }
}
