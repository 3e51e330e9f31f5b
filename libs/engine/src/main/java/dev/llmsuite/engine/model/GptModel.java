package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import java.util.Random;
import java.util.function.Predicate;

/**
 * The GPT-2 model for training: embeddings, L transformer blocks (pre-LayerNorm attention and MLP, each a
 * residual branch with dropout), a final LayerNorm and the output head, forward and backward side by side.
 * Weights, gradients and activations live in the backend; this class only sequences the backend's
 * operations. Serving with a KV cache (prefill, decode steps, 8-bit weights) is {@code generate.Decoder}'s.
 *
 * <p>Reading order: the fields, {@link #forwardHidden} (one block = LayerNorm → qkv → attention → projection →
 * residual, LayerNorm → fc → GELU → projection → residual), {@link #forward} (the head and the loss), then
 * {@link #backwardFromHidden}, which walks the same block in reverse. Longer than the house's ~250 lines because
 * forward and backward stay side by side in one file (as in llm.c), so each step's gradient sits beside its step.
 */
public final class GptModel implements AutoCloseable {
    private final GptConfig cfg;
    private final ParameterLayout layout;
    private final ComputeBackend be;
    private final Tensor params;
    /** The parameters by role: views into {@link #params}, made once. */
    private final ModelWeights weights;
    /** False for a view made by {@link #sharingWeights}: its base owns the weights. */
    private final boolean ownsWeights;

    private Tensor grads;
    /** Every parameter's gradient, by role (LayerNorm's are computed even when frozen: they are cheap). */
    private ModelWeights gradWeights;
    /** The gradients backward computes: null where a parameter is frozen (a matmul then skips its weight gradient). */
    private ModelWeights trainableGrads;
    /** Which parameters train: backward skips the weight gradients of the others, and the layers below the lowest trainable one. */
    private Predicate<String> trainable = name -> true;
    /** Low-rank adapters on the linear layers (null: none). */
    private LoraAdapters lora;

    // the last forward's, for backward
    private Activations acts;
    private int[] inputs;
    private int[] targets;
    private boolean training;
    private long dropoutSeed;

    public GptModel(ComputeBackend backend, GptConfig config) {
        this.be = backend;
        this.cfg = config;
        this.layout = ParameterLayout.of(config);
        this.params = backend.allocate(layout.totalSize());
        this.weights = ModelWeights.of(config, layout, this::param);
        this.ownsWeights = true;
    }

    private GptModel(GptModel base) {
        this.be = base.be;
        this.cfg = base.cfg;
        this.layout = base.layout;
        this.params = base.params;
        this.weights = base.weights;
        this.ownsWeights = false;
    }

    /**
     * A model that reads this model's weights without copying them, with its own working buffers and its
     * own adapters: several adapters served on one loaded base. For inference only (it has no gradients of
     * its own to train the shared weights with); closing it leaves the weights to their owner.
     */
    public GptModel sharingWeights() {
        return new GptModel(this);
    }

    public GptConfig config() { return cfg; }
    public ParameterLayout layout() { return layout; }
    public ComputeBackend backend() { return be; }
    public Tensor parameters() { return params; }
    public ModelWeights weights() { return weights; }

    /** The gradient buffer, same layout as the parameters; allocated on first use. */
    public Tensor gradients() {
        if (grads == null) {
            grads = be.allocate(layout.totalSize());
            gradWeights = ModelWeights.of(cfg, layout, this::grad);
            trainableGrads = null;
        }
        return grads;
    }

    /** The gradients backward fills for the current trainable set, by role. */
    private ModelWeights trainableGrads() {
        gradients();
        if (trainableGrads == null) trainableGrads = ModelWeights.of(cfg, layout, name -> trainable.test(name) ? grad(name) : null);
        return trainableGrads;
    }

    public Tensor param(String name) {
        ParameterLayout.Spec s = layout.get(name);
        return be.slice(params, s.offset(), s.size());
    }

    private Tensor grad(String name) {
        ParameterLayout.Spec s = layout.get(name);
        return be.slice(gradients(), s.offset(), s.size());
    }


    /**
     * Freezes every parameter the test rejects: their weight gradients are not computed (LayerNorm's,
     * which are cheap, still are, and are simply not used), and backward stops below the lowest layer
     * that has a trainable parameter or an adapter. The optimizer must be given the same set.
     */
    public void setTrainable(Predicate<String> trainable) {
        this.trainable = trainable;
        this.trainableGrads = null;
    }

    public boolean isTrainable(String name) { return trainable.test(name); }

    /** Attaches LoRA adapters (or detaches with null): they add their low-rank update to each target layer. */
    public void attach(LoraAdapters adapters) {
        if (adapters != null && !adapters.config().equals(cfg)) throw new IllegalArgumentException("adapters made for another model shape");
        this.lora = adapters;
    }

    public LoraAdapters adapters() { return lora; }

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
        be.matmulForward(a.logits, a.lnf, weights.outputHead(), null, n, c, v);
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

        ModelWeights wt = weights;
        be.encoderForward(a.encoded, inputs, wt.wte(), wt.wpe(), b, t, c);
        be.dropout(a.encoded, n * c, p, dropoutSeed, DropoutSite.EMBEDDINGS);
        for (int l = 0; l < cfg.layers(); l++) {
            ModelWeights.Layer w = wt.layers()[l];
            Tensor residual = l == 0 ? a.encoded : a.layer(a.residual3, l - 1);
            Tensor ln1 = a.layer(a.ln1, l), qkv = a.layer(a.qkv, l), atty = a.layer(a.atty, l);
            Tensor attproj = a.attproj, res2 = a.layer(a.residual2, l), ln2 = a.layer(a.ln2, l);
            Tensor fch = a.layer(a.fch, l), fchGelu = a.fchGelu, fcproj = a.fcproj;
            // residual2 = residual + dropout(c_proj(attention(c_attn(ln_1(residual)))))
            be.layerNormForward(ln1, a.layer(a.ln1Mean, l), a.layer(a.ln1Rstd, l), residual, w.ln1Weight(), w.ln1Bias(), n, c);
            be.matmulForward(qkv, ln1, w.qkvWeight(), w.qkvBias(), n, c, 3 * c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.QKV, qkv, ln1, n);
            be.attentionForward(atty, a.layer(a.att, l), qkv, documentStarts, b, t, c, nh, p, dropoutSeed, DropoutSite.attentionWeights(l));
            be.matmulForward(attproj, atty, w.attnProjWeight(), w.attnProjBias(), n, c, c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.ATTN_PROJ, attproj, atty, n);
            be.dropout(attproj, n * c, p, dropoutSeed, DropoutSite.attentionOutput(l));
            be.residualForward(res2, residual, attproj, n * c);
            // residual3 = residual2 + dropout(c_proj(gelu(c_fc(ln_2(residual2)))))
            be.layerNormForward(ln2, a.layer(a.ln2Mean, l), a.layer(a.ln2Rstd, l), res2, w.ln2Weight(), w.ln2Bias(), n, c);
            be.matmulForward(fch, ln2, w.fcWeight(), w.fcBias(), n, c, 4 * c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.FC, fch, ln2, n);
            be.geluForward(fchGelu, fch, n * 4 * c);
            be.matmulForward(fcproj, fchGelu, w.fcProjWeight(), w.fcProjBias(), n, 4 * c, c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.FC_PROJ, fcproj, fchGelu, n);
            be.dropout(fcproj, n * c, p, dropoutSeed, DropoutSite.mlpOutput(l));
            be.residualForward(a.layer(a.residual3, l), res2, fcproj, n * c);
        }
        be.layerNormForward(a.lnf, a.lnfMean, a.lnfRstd, a.layer(a.residual3, cfg.layers() - 1), wt.lnfWeight(), wt.lnfBias(), n, c);
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
        be.crossEntropyBackward(a.logits, targets, a.lse, n, v, lossScale);
        be.zero(a.dlnf);
        be.matmulBackward(a.dlnf, trainableGrads().outputHead(), null, a.logits, a.lnf, weights.outputHead(), n, c, v);
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
        ModelWeights wt = weights, dw = trainableGrads(), all = gradWeights;
        be.zero(a.dres);
        be.layerNormBackward(a.dres, all.lnfWeight(), all.lnfBias(), a.dlnf, a.layer(a.residual3, cfg.layers() - 1), wt.lnfWeight(),
                a.lnfMean, a.lnfRstd, n, c);

        for (int l = cfg.layers() - 1; l >= Math.max(lowest, 0); l--) {
            ModelWeights.Layer w = wt.layers()[l], dW = dw.layers()[l], dAll = all.layers()[l];
            Tensor residual = l == 0 ? a.encoded : a.layer(a.residual3, l - 1);
            for (Tensor s : new Tensor[] {a.dres2, a.dln1, a.dqkv, a.datty, a.dattproj, a.dln2, a.dfch, a.dfchGelu, a.dfcproj}) {
                be.zero(s);
            }
            // residual3 = residual2 + dropout(fcproj)
            be.residualBackward(a.dres2, a.dfcproj, a.dres, n * c);
            be.dropout(a.dfcproj, n * c, p, dropoutSeed, DropoutSite.mlpOutput(l));
            be.geluForward(a.fchGelu, a.layer(a.fch, l), n * 4 * c); // recomputed, not kept per layer
            be.matmulBackward(a.dfchGelu, dW.fcProjWeight(), dW.fcProjBias(), a.dfcproj, a.fchGelu, w.fcProjWeight(), n, 4 * c, c);
            if (lora != null) lora.backward(l, LoraAdapters.Target.FC_PROJ, a.dfcproj, a.fchGelu, a.dfchGelu, n);
            be.geluBackward(a.dfch, a.layer(a.fch, l), a.dfchGelu, n * 4 * c);
            be.matmulBackward(a.dln2, dW.fcWeight(), dW.fcBias(), a.dfch, a.layer(a.ln2, l), w.fcWeight(), n, c, 4 * c);
            if (lora != null) lora.backward(l, LoraAdapters.Target.FC, a.dfch, a.layer(a.ln2, l), a.dln2, n);
            be.layerNormBackward(a.dres2, dAll.ln2Weight(), dAll.ln2Bias(), a.dln2, a.layer(a.residual2, l), w.ln2Weight(),
                    a.layer(a.ln2Mean, l), a.layer(a.ln2Rstd, l), n, c);
            // residual2 = residual + dropout(attproj)
            be.zero(a.dres);
            be.residualBackward(a.dres, a.dattproj, a.dres2, n * c);
            be.dropout(a.dattproj, n * c, p, dropoutSeed, DropoutSite.attentionOutput(l));
            be.matmulBackward(a.datty, dW.attnProjWeight(), dW.attnProjBias(), a.dattproj, a.layer(a.atty, l), w.attnProjWeight(), n, c, c);
            if (lora != null) lora.backward(l, LoraAdapters.Target.ATTN_PROJ, a.dattproj, a.layer(a.atty, l), a.datty, n);
            be.attentionBackward(a.dqkv, a.datty, a.layer(a.qkv, l), a.layer(a.att, l), b, t, c, nh, p, dropoutSeed,
                    DropoutSite.attentionWeights(l));
            be.matmulBackward(a.dln1, dW.qkvWeight(), dW.qkvBias(), a.dqkv, a.layer(a.ln1, l), w.qkvWeight(), n, c, 3 * c);
            if (lora != null) lora.backward(l, LoraAdapters.Target.QKV, a.dqkv, a.layer(a.ln1, l), a.dln1, n);
            be.layerNormBackward(a.dres, dAll.ln1Weight(), dAll.ln1Bias(), a.dln1, residual, w.ln1Weight(),
                    a.layer(a.ln1Mean, l), a.layer(a.ln1Rstd, l), n, c);
        }
        if (lowest >= 0) return; // the embeddings are frozen: nothing below needs a gradient
        be.dropout(a.dres, n * c, p, dropoutSeed, DropoutSite.EMBEDDINGS);
        be.encoderBackward(all.wte(), all.wpe(), a.dres, inputs, b, t, c);
    }

    /** Layer l's q, k and v of the last forward, [B, T, 3C] (what a KV cache keeps of a prompt). */
    public Tensor layerQkv(int layer) { return acts.layer(acts.qkv, layer); }

    /**
     * Gives the model's buffers (parameters, gradients, activations) back to the backend: a device backend
     * reuses the memory. The model must not be used afterwards.
     */
    @Override
    public void close() {
        if (acts != null) acts.release();
        if (grads != null) be.release(grads);
        if (ownsWeights) be.release(params);
        acts = null;
        grads = null;
        gradWeights = null;
        trainableGrads = null;
    }
}
