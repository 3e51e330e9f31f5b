package dev.llmsuite.engine.model.llama;

/**
 * A Llama-family model's shape, as a Hugging Face config.json gives it (LlamaForCausalLM: Llama 3.x; Qwen3ForCausalLM):
 *
 * <pre>
 *   vocabSize V, hidden H, intermediate I (SwiGLU), layers L, heads NH of headDim D (NH · D may differ from H: Qwen3),
 *   kvHeads NKV (grouped-query attention: NH a multiple of NKV), rmsNormEps, ropeTheta with Llama 3's scaling or none,
 *   qkNorm (Qwen3: RMSNorm over D on each query and key head), tiedEmbeddings (the head is the embedding)
 * </pre>
 *
 * @param ropeScaling Llama 3's frequency scaling, or null
 */
public record LlamaConfig(Architecture architecture, int vocabSize, int hidden, int intermediate, int layers, int heads,
                          int kvHeads, int headDim, int contextLength, float rmsNormEps, double ropeTheta,
                          RopeScaling ropeScaling, boolean qkNorm, boolean tiedEmbeddings) {

    /** The architectures read, by their Hugging Face class names. */
    public enum Architecture {
        LLAMA("LlamaForCausalLM"), QWEN3("Qwen3ForCausalLM");

        public final String hfName;

        Architecture(String hfName) { this.hfName = hfName; }
    }

    /** rope_scaling with rope_type "llama3" (Llama 3.1 and 3.2). */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalContext) {
        public RopeScaling {
            if (!(factor >= 1 && lowFreqFactor > 0 && highFreqFactor > lowFreqFactor && originalContext > 0)) {
                throw new IllegalArgumentException("rope_scaling needs factor >= 1, 0 < low_freq_factor < high_freq_factor, "
                        + "original_max_position_embeddings > 0");
            }
        }
    }

    public LlamaConfig {
        if (vocabSize <= 0 || hidden <= 0 || intermediate <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0
                || contextLength <= 0) {
            throw new IllegalArgumentException("every dimension must be positive");
        }
        if (heads % kvHeads != 0) throw new IllegalArgumentException(heads + " heads do not share " + kvHeads + " key/value heads evenly");
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim " + headDim + " is odd: rotary embeddings turn pairs");
        if (!(rmsNormEps > 0) || !(ropeTheta > 1)) throw new IllegalArgumentException("rms_norm_eps must be > 0 and rope_theta > 1");
    }

    /**
     * Each pair's rotation frequency theta^(−2i/D), i < D/2, with Llama 3's scaling: wavelengths 2π/f above
     * original/lowFreqFactor are divided by factor, those below original/highFreqFactor kept, those between blended.
     */
    public float[] inverseFrequencies() {
        float[] out = new float[headDim / 2];
        for (int i = 0; i < out.length; i++) {
            double f = 1.0 / Math.pow(ropeTheta, 2.0 * i / headDim);
            if (ropeScaling != null) {
                RopeScaling s = ropeScaling;
                double wavelength = 2 * Math.PI / f;
                if (wavelength > s.originalContext() / s.lowFreqFactor()) {
                    f /= s.factor();
                } else if (wavelength >= s.originalContext() / s.highFreqFactor()) {
                    double smooth = (s.originalContext() / wavelength - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                    f = (1 - smooth) * f / s.factor() + smooth * f;
                }
            }
            out[i] = (float) f;
        }
        return out;
    }

    /** Parameters, for sizes and the checks before loading. */
    public long parameterCount() {
        long attention = (long) hidden * headDim * (2L * heads + 2L * kvHeads) + (qkNorm ? 2L * headDim : 0);
        long block = attention + 3L * hidden * intermediate + 2L * hidden;
        return (long) vocabSize * hidden * (tiedEmbeddings ? 1 : 2) + layers * block + hidden;
    }
}
