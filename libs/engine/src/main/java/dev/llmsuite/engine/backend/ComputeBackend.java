package dev.llmsuite.engine.backend;

/**
 * The operations a GPT needs, on tensors the backend owns, so that a device backend keeps weights,
 * activations and gradients resident and chains kernels without copies. Shapes are passed explicitly
 * (llm.c style): N = B·T rows, C channels, OC output channels, V vocabulary, NH heads.
 *
 * <p>Gradients accumulate (+=) into their buffers; callers zero them first. Token ids and targets are
 * host arrays (small; a device backend uploads them). Only the loss and norms come back as numbers.
 */
public interface ComputeBackend extends AutoCloseable {

    String name();

    // ---------------------------------------------------------------- memory

    /** A new zero-filled tensor. */
    Tensor allocate(long size);

    /** A view of part of a tensor, sharing its memory. */
    Tensor slice(Tensor t, long offset, long size);

    /**
     * Gives the memory of a tensor from {@link #allocate} back (not a slice); it must not be used again.
     * The CPU backend leaves this to the garbage collector; a device backend reuses the memory.
     */
    default void release(Tensor t) {}

    void write(Tensor dst, long dstOffset, float[] src, int srcOffset, int n);

    void read(Tensor src, long srcOffset, float[] dst, int dstOffset, int n);

    void zero(Tensor t);

    void copy(Tensor dst, Tensor src);

    /**
     * An 8-bit copy of the matrix weight[rows, cols] for serving, which {@link #matmulForward} accepts
     * as its weight: decode steps read a quarter of the bytes. A backend without it says so.
     */
    default Tensor quantize8(Tensor weight, int rows, int cols) {
        throw new UnsupportedOperationException(name() + " has no 8-bit weights");
    }

    /**
     * A bfloat16 copy of the matrix weight[rows, cols] for serving, which {@link #matmulForward} accepts as its
     * weight: decode steps read half of fp32's bytes. A backend without it says so.
     */
    default Tensor quantize16(Tensor weight, int rows, int cols) {
        throw new UnsupportedOperationException(name() + " has no 16-bit weights");
    }

    /**
     * An fp32 copy of weight[rows, cols] in a layout whose products give each input row the same floats however many
     * rows are computed together (1 or 15), at a one-row step's speed: what speculative decoding's verification needs.
     * A backend without it says so.
     */
    default Tensor panels(Tensor weight, int rows, int cols) {
        throw new UnsupportedOperationException(name() + " has no panel weights");
    }

    // ---------------------------------------------------------------- layers, forward and backward

    /** out[B,T,C] = wte[ids] + wpe[t]. */
    void encoderForward(Tensor out, int[] ids, Tensor wte, Tensor wpe, int b, int t, int c);

    void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, int[] ids, int b, int t, int c);

    /** out[N,C] = LayerNorm(inp) with weight and bias; mean[N], rstd[N] kept for backward. */
    void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor inp, Tensor weight, Tensor bias, int n, int c);

    void layerNormBackward(Tensor dinp, Tensor dweight, Tensor dbias, Tensor dout, Tensor inp, Tensor weight,
                           Tensor mean, Tensor rstd, int n, int c);

    /**
     * out[N,OC] = inp[N,C] · weight[OC,C]ᵀ + bias[OC] (bias may be null). The weight may be a
     * {@link #quantize8} or {@link #quantize16} copy (inference only: such a weight has no backward). For N ≥ 16 an
     * fp32 product gives
     * each row the same floats whatever N is (rows do not share sums): a prompt's rows come out the same whether
     * computed all together or after a prefix cache's blocks ({@code PrefixCache}; MatmulTest holds backends to it).
     */
    void matmulForward(Tensor out, Tensor inp, Tensor weight, Tensor bias, int n, int c, int oc);

    /** dinp += dout · weight; dweight += doutᵀ · inp; dbias += Σ dout. dinp, dweight, dbias may be null. */
    void matmulBackward(Tensor dinp, Tensor dweight, Tensor dbias, Tensor dout, Tensor inp, Tensor weight,
                        int n, int c, int oc);

    /**
     * Floats of attention state that {@link #attentionForward} keeps for {@link #attentionBackward}, per
     * layer: the softmax weights att[B,NH,T,T] unless a backend keeps less (the TornadoVM backend keeps
     * three floats per query row and recomputes the weights, flash-attention style).
     */
    default long attentionStateSize(int b, int t, int nh) {
        return (long) b * nh * t * t;
    }

    /**
     * Causal self-attention on qkv[B,T,3C] into out[B,T,C]; what backward needs into att
     * ({@link #attentionStateSize} floats: on the CPU the softmax weights [B,NH,T,T]).
     * documentStarts[B,T] (or null): token (b, t) attends only to positions documentStarts[b·T + t] .. t,
     * so packed documents never see each other. The state keeps the mask for the backward (on the CPU
     * masked weights are 0 in att).
     */
    void attentionForward(Tensor out, Tensor att, Tensor qkv, int[] documentStarts, int b, int t, int c, int nh,
                          float dropRate, long seed, long site);

    void attentionBackward(Tensor dqkv, Tensor dout, Tensor qkv, Tensor att, int b, int t, int c, int nh,
                           float dropRate, long seed, long site);

    /**
     * One decode step of causal attention for a single sequence: k and v of qkv[3C] are stored at
     * row pos of the caches [maxT, C], then q attends over rows 0..pos into out[C].
     */
    void attentionDecode(Tensor out, Tensor qkv, Tensor keyCache, Tensor valueCache, int pos, int c, int nh);

    /**
     * {@link #attentionDecode} for nb sequences decoded together: row i of out[nb, C] and qkv[nb, 3C] against
     * sequence i's caches at its own position positions[i]. A backend that pays per launch (a GPU) does the
     * whole batch in one pass instead of three launches per sequence.
     */
    default void attentionDecodeBatch(Tensor out, Tensor qkv, Tensor[] keyCaches, Tensor[] valueCaches, int[] positions,
                                      int c, int nh) {
        for (int i = 0; i < positions.length; i++) {
            attentionDecode(slice(out, (long) i * c, c), slice(qkv, 3L * i * c, 3L * c), keyCaches[i], valueCaches[i],
                    positions[i], c, nh);
        }
    }

    void geluForward(Tensor out, Tensor inp, int n);

    void geluBackward(Tensor dinp, Tensor inp, Tensor dout, int n);

    void residualForward(Tensor out, Tensor a, Tensor b, int n);

    void residualBackward(Tensor da, Tensor db, Tensor dout, int n);

    /** In place; the mask is a function of (seed, site, index), so backward is the same call on the gradient. */
    void dropout(Tensor x, int n, float rate, long seed, long site);

    /** Per-row losses and log-sum-exp; returns the mean loss over targets that are not -100. */
    double crossEntropyForward(Tensor logits, int[] targets, Tensor losses, Tensor lse, int n, int v);

    /** Turns logits into dlogits in place, scaled by lossScale (for gradient accumulation). */
    void crossEntropyBackward(Tensor logits, int[] targets, Tensor lse, int n, int v, float lossScale);

    // ---------------------------------------------------------------- Llama and Qwen3 (model/llama)

    /** out[N,C] = table[ids[n]]: a token embedding without positions (Llama's come from rotating q and k). */
    default void embeddingForward(Tensor out, int[] ids, Tensor table, int n, int c) {
        for (int i = 0; i < n; i++) copy(slice(out, (long) i * c, c), slice(table, (long) ids[i] * c, c));
    }

    /** out[N,C] = inp · rstd · weight, rstd[N] = 1/sqrt(mean(inp²) + eps) kept for backward; out may be inp. */
    default void rmsNormForward(Tensor out, Tensor rstd, Tensor inp, Tensor weight, int n, int c, float eps) {
        throw new UnsupportedOperationException(name() + " has no RMSNorm kernel yet");
    }

    /** dinp += ∂/∂inp, dweight += ∂/∂weight of {@link #rmsNormForward}, from inp and the rstd it kept. */
    default void rmsNormBackward(Tensor dinp, Tensor dweight, Tensor dout, Tensor inp, Tensor weight, Tensor rstd, int n, int c) {
        throw new UnsupportedOperationException(name() + " has no RMSNorm kernel yet");
    }

    /**
     * Rotary position embeddings, in place on x[N, heads·d] ("rotate half" layout): row r at position start + r, pair
     * (i, i + d/2) of each head turned by (start + r) · invFreq[i].
     */
    default void ropeForward(Tensor x, int n, int heads, int d, int start, float[] invFreq) {
        throw new UnsupportedOperationException(name() + " has no rotary embedding kernel yet");
    }

    /** The gradient through {@link #ropeForward}, in place on dx: the turn by the opposite angle. */
    default void ropeBackward(Tensor dx, int n, int heads, int d, int start, float[] invFreq) {
        throw new UnsupportedOperationException(name() + " has no rotary embedding kernel yet");
    }

    /** out[n] = silu(gate) · up; out may be gate. */
    default void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        throw new UnsupportedOperationException(name() + " has no SwiGLU kernel yet");
    }

    /** dgate, dup += the gradient of {@link #swigluForward}. */
    default void swigluBackward(Tensor dgate, Tensor dup, Tensor dout, Tensor gate, Tensor up, int n) {
        throw new UnsupportedOperationException(name() + " has no SwiGLU kernel yet");
    }

    /**
     * Causal grouped-query attention of t new positions start … start + t − 1 of one sequence: q[t, nh·d] against the
     * keys and values by position, k and v [≥ start + t, nkv·d] (a KV cache, the new rows in place), into out[t, nh·d].
     */
    default void groupedAttentionForward(Tensor out, Tensor q, Tensor k, Tensor v, int start, int t, int nh, int nkv, int d) {
        throw new UnsupportedOperationException(name() + " has no grouped-query attention kernel yet");
    }

    /** dq, dk, dv += the gradient of {@link #groupedAttentionForward} over a whole sequence (start 0, t rows). */
    default void groupedAttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, int t, int nh,
                                          int nkv, int d) {
        throw new UnsupportedOperationException(name() + " has no grouped-query attention kernel yet");
    }

    // ---------------------------------------------------------------- optimizer

    /** Σ x², for gradient clipping. */
    double sumOfSquares(Tensor x);

    void scale(Tensor x, float factor);

    /** One AdamW step (PyTorch's order of operations) over matching ranges of the four buffers. */
    void adamW(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
               float weightDecay, int step);

    @Override
    void close();
}
