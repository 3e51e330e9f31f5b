package dev.llmsuite.engine.generate;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import dev.llmsuite.engine.model.ModelWeights;
import dev.llmsuite.engine.model.OwnedTensors;

/**
 * Serving a {@link GptModel} with a KV cache: {@link #prefill} runs a prompt in one batched pass and keeps every
 * position's keys and values; {@link #decodeBatch} then appends one token to each of several sequences, computing
 * only the new positions (continuous batching: each weight is read once per step for the whole batch).
 *
 * <p>With 8-bit weights ({@link #int8}) decode steps read the linear layers and the output head from 8-bit copies
 * with one scale per 64 values, a quarter of the bytes per step; prefill (compute-bound, where 8 bits would not
 * speed it) and training keep reading the fp32 weights.
 *
 * <pre>
 *   decode step, nb sequences        shape
 *   x, ln, atty, proj                [nb, C]
 *   qkv                              [nb, 3C]
 *   fch, fchGelu                     [nb, 4C]
 *   logits                           [nb, V]
 * </pre>
 */
public final class Decoder implements AutoCloseable {
    private final GptModel model;
    private final GptConfig cfg;
    private final ComputeBackend be;
    /** What decode steps read: the model's weights, or the same with 8-bit linear layers. */
    private final ModelWeights serving;
    /** The 8-bit copies this decoder made and gives back on close (none for fp32 and for a view's decoder). */
    private final OwnedTensors ownedCopies;
    private StepBuffers buffers;

    private Decoder(GptModel model, ModelWeights serving, OwnedTensors ownedCopies) {
        this.model = model;
        this.cfg = model.config();
        this.be = model.backend();
        this.serving = serving;
        this.ownedCopies = ownedCopies;
    }

    /** Decode steps on the model's fp32 weights. */
    public static Decoder fp32(GptModel model) {
        return new Decoder(model, model.weights(), new OwnedTensors(model.backend()));
    }

    /** Decode steps on 8-bit copies of the model's linear layers, made now. */
    public static Decoder int8(GptModel model) {
        ComputeBackend be = model.backend();
        OwnedTensors copies = new OwnedTensors(be);
        ModelWeights quantized = model.weights().withLinearLayers(model.config(), (w, rows, cols) -> copies.own(be.quantize8(w, rows, cols)));
        return new Decoder(model, quantized, copies);
    }

    public GptModel model() { return model; }

    public boolean quantized() { return serving != model.weights(); }

    /**
     * A decoder for {@code view} (this decoder's model's {@link GptModel#sharingWeights}, with adapters of its own)
     * that reads this decoder's weights, 8-bit copies included, without copying them; closing it leaves them here.
     */
    public Decoder sharedWith(GptModel view) {
        if (view.weights() != model.weights()) throw new IllegalArgumentException("the view does not share this model's weights");
        return new Decoder(view, serving, new OwnedTensors(be));
    }

    /**
     * Runs the prompt through the model in one batched pass, stores every position's keys and values
     * in the cache, and returns the logits after the last token.
     */
    public float[] prefill(int[] tokens, KvCache cache) {
        int t = tokens.length, c = cfg.embeddingDim();
        if (t == 0) throw new IllegalArgumentException("empty prompt");
        if (t > cache.capacity()) throw new IllegalArgumentException("prompt of " + t + " tokens is over the cache's " + cache.capacity());
        model.forward(tokens, null, 1, t, false, 0);
        for (int l = 0; l < cfg.layers(); l++) {
            Tensor qkv = model.layerQkv(l);
            for (int p = 0; p < t; p++) {
                be.copy(be.slice(cache.keys(l), (long) p * c, c), be.slice(qkv, (long) p * 3 * c + c, c));
                be.copy(be.slice(cache.values(l), (long) p * c, c), be.slice(qkv, (long) p * 3 * c + 2L * c, c));
            }
        }
        cache.setLength(t);
        return model.logitsAt(0, t - 1);
    }

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
    public float[][] decodeBatch(int[] tokens, KvCache[] caches) {
        int nb = tokens.length, c = cfg.embeddingDim(), nh = cfg.heads(), v = cfg.vocabSize();
        if (nb != caches.length || nb == 0) throw new IllegalArgumentException("one cache per token, at least one");
        if (buffers == null || buffers.rows < nb) {
            if (buffers != null) buffers.release();
            buffers = new StepBuffers(nb);
        }
        ModelWeights wt = serving;
        LoraAdapters lora = model.adapters();
        StepBuffers d = buffers;
        for (int i = 0; i < nb; i++) {
            int pos = caches[i].length();
            if (pos >= caches[i].capacity()) throw new IllegalStateException("sequence " + i + ": the KV cache is full");
            if (tokens[i] < 0 || tokens[i] >= v) throw new IllegalArgumentException("token id " + tokens[i] + " outside the vocabulary");
            be.encoderForward(be.slice(d.x, (long) i * c, c), new int[] {tokens[i]}, wt.wte(), be.slice(wt.wpe(), (long) pos * c, c), 1, 1, c);
        }
        Tensor x = be.slice(d.x, 0, (long) nb * c), ln = be.slice(d.ln, 0, (long) nb * c);
        Tensor mean = be.slice(d.mean, 0, nb), rstd = be.slice(d.rstd, 0, nb);
        Tensor qkv = be.slice(d.qkv, 0, 3L * nb * c), atty = be.slice(d.atty, 0, (long) nb * c);
        Tensor proj = be.slice(d.proj, 0, (long) nb * c), fch = be.slice(d.fch, 0, 4L * nb * c);
        Tensor fchGelu = be.slice(d.fchGelu, 0, 4L * nb * c), logits = be.slice(d.logits, 0, (long) nb * v);
        Tensor[] keys = new Tensor[nb], values = new Tensor[nb];
        int[] positions = new int[nb];
        for (int i = 0; i < nb; i++) positions[i] = caches[i].length();
        for (int l = 0; l < cfg.layers(); l++) {
            ModelWeights.Layer w = wt.layers()[l];
            be.layerNormForward(ln, mean, rstd, x, w.ln1Weight(), w.ln1Bias(), nb, c);
            be.matmulForward(qkv, ln, w.qkvWeight(), w.qkvBias(), nb, c, 3 * c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.QKV, qkv, ln, nb);
            for (int i = 0; i < nb; i++) {
                keys[i] = caches[i].keys(l);
                values[i] = caches[i].values(l);
            }
            be.attentionDecodeBatch(atty, qkv, keys, values, positions, c, nh);
            be.matmulForward(proj, atty, w.attnProjWeight(), w.attnProjBias(), nb, c, c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.ATTN_PROJ, proj, atty, nb);
            be.residualForward(x, x, proj, nb * c);
            be.layerNormForward(ln, mean, rstd, x, w.ln2Weight(), w.ln2Bias(), nb, c);
            be.matmulForward(fch, ln, w.fcWeight(), w.fcBias(), nb, c, 4 * c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.FC, fch, ln, nb);
            be.geluForward(fchGelu, fch, nb * 4 * c);
            be.matmulForward(proj, fchGelu, w.fcProjWeight(), w.fcProjBias(), nb, 4 * c, c);
            if (lora != null) lora.forward(l, LoraAdapters.Target.FC_PROJ, proj, fchGelu, nb);
            be.residualForward(x, x, proj, nb * c);
        }
        be.layerNormForward(ln, mean, rstd, x, wt.lnfWeight(), wt.lnfBias(), nb, c);
        be.matmulForward(logits, ln, wt.outputHead(), null, nb, c, v);
        float[][] out = new float[nb][v];
        for (int i = 0; i < nb; i++) {
            caches[i].setLength(caches[i].length() + 1);
            be.read(logits, (long) i * v, out[i], 0, v);
        }
        return out;
    }

    /** Gives the step buffers and the 8-bit copies this decoder made back to the backend; the model stays. */
    @Override
    public void close() {
        if (buffers != null) buffers.release();
        buffers = null;
        ownedCopies.release();
    }

    /** Working buffers for decode steps, grown to the largest batch seen. */
    private final class StepBuffers {
        final int rows;
        final Tensor x, ln, mean, rstd, qkv, atty, proj, fch, fchGelu, logits;
        private final OwnedTensors owned = new OwnedTensors(be);

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
            logits = owned.allocate((long) rows * cfg.vocabSize());
        }

        void release() {
            owned.release();
        }
    }
}
