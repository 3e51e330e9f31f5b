package dev.llmsuite.engine.model.llama;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.model.llama.LlamaModel.Layer;
import java.util.ArrayList;
import java.util.List;

/**
 * The training arithmetic of a {@link LlamaModel} over one sequence of T tokens: the forward keeping what the backward
 * needs, the mean cross-entropy against targets, and the gradient of every weight — the backward reads as the forward
 * in reverse (llm.c). What each layer keeps, for T positions:
 *
 * <pre>
 *   xIn, norm1 [T, H], rstd1 [T]          the block's input and its first RMSNorm
 *   qRaw, qRot [T, NH·D], rstdQ [T·NH]    the query projection, and after QK-norm (Qwen3) and rotation
 *   kRaw, kRot, v [T, NKV·D], rstdK       the same for keys; values as projected
 *   att [T, NH·D]                         attention's output (its softmax is recomputed in the backward)
 *   xMid, norm2 [T, H], rstd2             after the attention residual, and its second RMSNorm
 *   gate, up, act [T, I]                  SwiGLU's two projections and silu(gate)·up
 * </pre>
 *
 * The tied head's gradient lands in the embedding's, as autograd adds them. Checked against PyTorch's autograd on the
 * fixtures' Llama and Qwen3 (LlamaTrainingTest).
 *
 * <p>With {@link LlamaLora} adapters the base is frozen: each adapted product adds its adapter's term in the forward
 * and its adapter's gradients in the backward, the base weights get no gradient (no buffers for them, their products
 * compute only the input's gradient), and {@link #gradients()} is null: the adapters hold theirs.
 *
 * <p>Just over 250 lines: the forward and the backward side by side, as llm.c writes them, read best in one file.
 */
public final class LlamaTrainingStep implements AutoCloseable {
    /** Gradients shaped as the weights (a Layer of gradients each block); head is embed for a tied model. */
    public record Gradients(Tensor embed, List<Layer> layers, Tensor finalNorm, Tensor head) {}

    /** One block's kept activations. */
    private record Kept(Tensor xIn, Tensor norm1, Tensor rstd1, Tensor qRaw, Tensor qRot, Tensor rstdQ, Tensor kRaw, Tensor kRot,
                        Tensor rstdK, Tensor v, Tensor att, Tensor xMid, Tensor norm2, Tensor rstd2, Tensor gate, Tensor up, Tensor act) {}

    private final LlamaModel model;
    private final LlamaLora lora;
    private final ComputeBackend be;
    private final int t;
    private final List<Tensor> owned = new ArrayList<>();
    private final List<Kept> kept = new ArrayList<>();
    private final Tensor xOut, normF, rstdF, logits, losses, lse, proj;
    private final Gradients grads;
    /** Backward scratch, zeroed before each use. */
    private final Tensor dx, dxMid, dnorm, dq, dk, dv, datt, dgate, dup, dact, dqRaw, dkRaw;
    /** With adapters: where the frozen norms' weight gradients go (the kernels write them; nobody reads them). */
    private final Tensor normSink, headNormSink;
    private final float[] invFreq;

    /** Buffers for sequences of t tokens; every weight trained. */
    public LlamaTrainingStep(LlamaModel model, int t) {
        this(model, null, t);
    }

    /** Buffers for sequences of t tokens; with lora non-null only its adapters are trained. */
    public LlamaTrainingStep(LlamaModel model, LlamaLora lora, int t) {
        LlamaConfig c = model.config();
        if (t < 1 || t > c.contextLength()) throw new IllegalArgumentException(t + " tokens; the context holds 1 to " + c.contextLength());
        if (lora != null && !lora.config().equals(c)) throw new IllegalArgumentException("the adapters were made for another configuration");
        this.model = model;
        this.lora = lora;
        if (lora != null) lora.prepare(t);
        this.be = model.backend();
        this.t = t;
        this.invFreq = c.inverseFrequencies();
        int h = c.hidden(), qw = c.heads() * c.headDim(), kvw = c.kvHeads() * c.headDim(), in = c.intermediate();
        for (int l = 0; l < c.layers(); l++) {
            kept.add(new Kept(own((long) t * h), own((long) t * h), own(t), own((long) t * qw), own((long) t * qw), own((long) t * c.heads()),
                    own((long) t * kvw), own((long) t * kvw), own((long) t * c.kvHeads()), own((long) t * kvw), own((long) t * qw),
                    own((long) t * h), own((long) t * h), own(t), own((long) t * in), own((long) t * in), own((long) t * in)));
        }
        xOut = own((long) t * h);
        normF = own((long) t * h);
        rstdF = own(t);
        logits = own((long) t * c.vocabSize());
        losses = own(t);
        lse = own(t);
        proj = own((long) t * h);
        dx = own((long) t * h);
        dxMid = own((long) t * h);
        dnorm = own((long) t * h);
        dq = own((long) t * qw);
        dk = own((long) t * kvw);
        dv = own((long) t * kvw);
        datt = own((long) t * qw);
        dgate = own((long) t * in);
        dup = own((long) t * in);
        dact = own((long) t * in);
        dqRaw = own((long) t * qw);
        dkRaw = own((long) t * kvw);
        if (lora != null) {
            grads = null;
            normSink = own(h);
            headNormSink = own(c.headDim());
            return;
        }
        normSink = null;
        headNormSink = null;
        Tensor dEmbed = own((long) c.vocabSize() * h);
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            layers.add(new Layer(own(h), own((long) qw * h), own((long) kvw * h), own((long) kvw * h), own((long) h * qw),
                    c.qkNorm() ? own(c.headDim()) : null, c.qkNorm() ? own(c.headDim()) : null, own(h),
                    own((long) in * h), own((long) in * h), own((long) h * in)));
        }
        grads = new Gradients(dEmbed, layers, own(h), c.tiedEmbeddings() ? dEmbed : own((long) c.vocabSize() * h));
    }

    /** The sequence length these buffers are for. */
    public int length() {
        return t;
    }

    /** Every weight's gradient after {@link #lossAndGradients}; null when adapters are trained (they hold theirs). */
    public Gradients gradients() {
        return grads;
    }

    /** Zeroes the gradients, runs forward and backward, and returns the mean cross-entropy over targets (-100: none). */
    public double lossAndGradients(int[] ids, int[] targets) {
        zeroGradients();
        return addLossAndGradients(ids, targets, 1f);
    }

    /** Zeroes the gradients (the adapters' with adapters), before a batch's rows are added up. */
    public void zeroGradients() {
        for (Tensor g : owned) be.zero(g); // activations are overwritten anyway; zeroing them too keeps this simple
        if (lora != null) be.zero(lora.gradients());
    }

    /**
     * Adds weight × the gradients of this sequence's mean cross-entropy to those already there (a batch of sequences:
     * weight = this one's share of the batch's targets) and returns its mean cross-entropy.
     */
    public double addLossAndGradients(int[] ids, int[] targets, float weight) {
        double loss = loss(ids, targets);
        backward(ids, targets, weight);
        return loss;
    }

    /** The mean cross-entropy over targets (-100: none), forward only. */
    public double loss(int[] ids, int[] targets) {
        LlamaConfig c = model.config();
        if (ids.length != t || targets.length != t) throw new IllegalArgumentException("ids and targets must hold " + t + " tokens");
        for (int id : ids) if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " outside the vocabulary");
        return forward(ids, targets);
    }

    private double forward(int[] ids, int[] targets) {
        LlamaConfig c = model.config();
        int h = c.hidden(), d = c.headDim(), qw = c.heads() * d, kvw = c.kvHeads() * d, in = c.intermediate();
        float eps = c.rmsNormEps();
        be.embeddingForward(kept.get(0).xIn(), ids, model.embedding(), t, h);
        for (int l = 0; l < c.layers(); l++) {
            Layer w = model.layers().get(l);
            Kept a = kept.get(l);
            be.rmsNormForward(a.norm1(), a.rstd1(), a.xIn(), w.inputNorm(), t, h, eps);
            linear(a.qRaw(), a.norm1(), w.wq(), l, LlamaLora.Target.Q, h, qw);
            linear(a.kRaw(), a.norm1(), w.wk(), l, LlamaLora.Target.K, h, kvw);
            linear(a.v(), a.norm1(), w.wv(), l, LlamaLora.Target.V, h, kvw);
            if (c.qkNorm()) {
                be.rmsNormForward(a.qRot(), a.rstdQ(), a.qRaw(), w.qNorm(), t * c.heads(), d, eps);
                be.rmsNormForward(a.kRot(), a.rstdK(), a.kRaw(), w.kNorm(), t * c.kvHeads(), d, eps);
            } else {
                be.copy(a.qRot(), a.qRaw());
                be.copy(a.kRot(), a.kRaw());
            }
            be.ropeForward(a.qRot(), t, c.heads(), d, 0, invFreq);
            be.ropeForward(a.kRot(), t, c.kvHeads(), d, 0, invFreq);
            be.groupedAttentionForward(a.att(), a.qRot(), a.kRot(), a.v(), 0, t, c.heads(), c.kvHeads(), d);
            linear(proj, a.att(), w.wo(), l, LlamaLora.Target.O, qw, h);
            be.residualForward(a.xMid(), a.xIn(), proj, t * h);
            be.rmsNormForward(a.norm2(), a.rstd2(), a.xMid(), w.postNorm(), t, h, eps);
            linear(a.gate(), a.norm2(), w.wGate(), l, LlamaLora.Target.GATE, h, in);
            linear(a.up(), a.norm2(), w.wUp(), l, LlamaLora.Target.UP, h, in);
            be.swigluForward(a.act(), a.gate(), a.up(), t * in);
            linear(proj, a.act(), w.wDown(), l, LlamaLora.Target.DOWN, in, h);
            be.residualForward(l + 1 < c.layers() ? kept.get(l + 1).xIn() : xOut, a.xMid(), proj, t * h);
        }
        be.rmsNormForward(normF, rstdF, xOut, model.finalNorm(), t, h, eps);
        be.matmulForward(logits, normF, model.head(), null, t, h, c.vocabSize());
        return be.crossEntropyForward(logits, targets, losses, lse, t, c.vocabSize());
    }

    private void backward(int[] ids, int[] targets, float weight) {
        LlamaConfig c = model.config();
        int h = c.hidden(), d = c.headDim(), qw = c.heads() * d, kvw = c.kvHeads() * d, in = c.intermediate();
        zero(dx, dnorm); // the head's and final norm's products accumulate into them
        be.crossEntropyBackward(logits, targets, lse, t, c.vocabSize(), weight); // logits now hold dlogits
        be.matmulBackward(dnorm, grads == null ? null : grads.head(), null, logits, normF, model.head(), t, h, c.vocabSize());
        be.rmsNormBackward(dx, grads == null ? normSink : grads.finalNorm(), dnorm, xOut, model.finalNorm(), rstdF, t, h);
        for (int l = c.layers() - 1; l >= 0; l--) {
            Layer w = model.layers().get(l), dw = grads == null ? null : grads.layers().get(l);
            Kept a = kept.get(l);
            // x_next = xMid + act · Wdownᵀ: dx reaches xMid whole, and the feed-forward through Wdown
            be.copy(dxMid, dx);
            zero(dact, dgate, dup, dnorm);
            linearBackward(dact, dw == null ? null : dw.wDown(), dx, a.act(), w.wDown(), l, LlamaLora.Target.DOWN, in, h);
            be.swigluBackward(dgate, dup, dact, a.gate(), a.up(), t * in);
            linearBackward(dnorm, dw == null ? null : dw.wGate(), dgate, a.norm2(), w.wGate(), l, LlamaLora.Target.GATE, h, in);
            linearBackward(dnorm, dw == null ? null : dw.wUp(), dup, a.norm2(), w.wUp(), l, LlamaLora.Target.UP, h, in);
            be.rmsNormBackward(dxMid, dw == null ? normSink : dw.postNorm(), dnorm, a.xMid(), w.postNorm(), a.rstd2(), t, h);
            // xMid = xIn + att · Woᵀ
            be.copy(dx, dxMid);
            zero(datt, dq, dk, dv, dnorm);
            linearBackward(datt, dw == null ? null : dw.wo(), dxMid, a.att(), w.wo(), l, LlamaLora.Target.O, qw, h);
            be.groupedAttentionBackward(dq, dk, dv, datt, a.qRot(), a.kRot(), a.v(), t, c.heads(), c.kvHeads(), d);
            be.ropeBackward(dq, t, c.heads(), d, 0, invFreq);
            be.ropeBackward(dk, t, c.kvHeads(), d, 0, invFreq);
            Tensor dqIn = dq, dkIn = dk;
            if (c.qkNorm()) {
                zero(dqRaw, dkRaw);
                be.rmsNormBackward(dqRaw, dw == null ? headNormSink : dw.qNorm(), dq, a.qRaw(), w.qNorm(), a.rstdQ(), t * c.heads(), d);
                be.rmsNormBackward(dkRaw, dw == null ? headNormSink : dw.kNorm(), dk, a.kRaw(), w.kNorm(), a.rstdK(), t * c.kvHeads(), d);
                dqIn = dqRaw;
                dkIn = dkRaw;
            }
            linearBackward(dnorm, dw == null ? null : dw.wq(), dqIn, a.norm1(), w.wq(), l, LlamaLora.Target.Q, h, qw);
            linearBackward(dnorm, dw == null ? null : dw.wk(), dkIn, a.norm1(), w.wk(), l, LlamaLora.Target.K, h, kvw);
            linearBackward(dnorm, dw == null ? null : dw.wv(), dv, a.norm1(), w.wv(), l, LlamaLora.Target.V, h, kvw);
            be.rmsNormBackward(dx, dw == null ? normSink : dw.inputNorm(), dnorm, a.xIn(), w.inputNorm(), a.rstd1(), t, h);
        }
        if (grads == null) return; // adapters: the embedding is frozen
        for (int i = 0; i < t; i++) { // the embedding: each position's gradient into its token's row
            Tensor row = be.slice(grads.embed(), (long) ids[i] * h, h);
            be.residualForward(row, row, be.slice(dx, (long) i * h, h), h);
        }
    }

    /** out = x · Wᵀ, plus the adapter's term when layer l's target is adapted. */
    private void linear(Tensor out, Tensor x, Tensor weight, int l, LlamaLora.Target target, int in, int outWidth) {
        be.matmulForward(out, x, weight, null, t, in, outWidth);
        if (lora != null && lora.covers(target)) lora.forward(l, target, x, out, t);
    }

    /** dx += dout · W (and dW += doutᵀ · x when dW is given), plus the adapter's share. */
    private void linearBackward(Tensor dxOut, Tensor dWeight, Tensor dout, Tensor x, Tensor weight, int l, LlamaLora.Target target,
                                int in, int outWidth) {
        be.matmulBackward(dxOut, dWeight, null, dout, x, weight, t, in, outWidth);
        if (lora != null && lora.covers(target)) lora.backward(l, target, dxOut, dout, x, t);
    }

    private void zero(Tensor... tensors) {
        for (Tensor x : tensors) be.zero(x);
    }

    private Tensor own(long size) {
        Tensor x = be.allocate(size);
        owned.add(x);
        return x;
    }

    @Override
    public void close() {
        for (Tensor x : owned) be.release(x);
    }
}
