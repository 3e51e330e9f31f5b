package dev.llmsuite.engine.model;

import dev.llmsuite.records.Gpt2;
import java.util.Map;

/**
 * A GPT's shape, as the book's GPT_CONFIG dictionaries give it.
 *
 * @param vocabSize      ids the model reads and predicts
 * @param contextLength  longest sequence (positions in wpe)
 * @param embeddingDim   C, the width of the residual stream
 * @param heads          attention heads (C must divide by it)
 * @param layers         transformer blocks
 * @param dropRate       dropout on embeddings, attention weights and both shortcut branches
 * @param qkvBias        whether the query/key/value projection has a bias (GPT-2: yes; the book: no)
 * @param tiedOutputHead whether the output head reuses the token embedding (GPT-2: yes; the book: no)
 */
public record GptConfig(int vocabSize, int contextLength, int embeddingDim, int heads, int layers,
                        double dropRate, boolean qkvBias, boolean tiedOutputHead) {

    public GptConfig {
        if (vocabSize <= 0 || contextLength <= 0 || embeddingDim <= 0 || heads <= 0 || layers <= 0) {
            throw new IllegalArgumentException("every dimension must be positive");
        }
        if (embeddingDim % heads != 0) {
            throw new IllegalArgumentException("embedding dim " + embeddingDim + " does not divide into " + heads + " heads");
        }
        if (dropRate < 0 || dropRate >= 1) throw new IllegalArgumentException("drop rate must be in [0, 1)");
    }

    /** The book's GPT_CONFIG_124M: GPT-2 small's shape, no qkv bias, a separate output head. */
    public static final GptConfig GPT2_124M = new GptConfig(Gpt2.VOCABULARY_SIZE, 1024, 768, 12, 12, 0.1, false, false);
    public static final GptConfig GPT2_MEDIUM = new GptConfig(Gpt2.VOCABULARY_SIZE, 1024, 1024, 16, 24, 0.1, false, false);
    public static final GptConfig GPT2_LARGE = new GptConfig(Gpt2.VOCABULARY_SIZE, 1024, 1280, 20, 36, 0.1, false, false);
    public static final GptConfig GPT2_XL = new GptConfig(Gpt2.VOCABULARY_SIZE, 1024, 1600, 25, 48, 0.1, false, false);
    /** Small enough to train for minutes on a laptop CPU. */
    public static final GptConfig SMALL = new GptConfig(Gpt2.VOCABULARY_SIZE, 256, 384, 6, 6, 0.1, false, false);
    /** For tests: every path exercised in microseconds. */
    public static final GptConfig TINY = new GptConfig(97, 16, 32, 4, 2, 0.0, true, false);

    public static final Map<String, GptConfig> PRESETS = Map.of(
            "gpt2-124m", GPT2_124M, "gpt2-medium", GPT2_MEDIUM, "gpt2-large", GPT2_LARGE, "gpt2-xl", GPT2_XL,
            "small", SMALL, "tiny", TINY);

    public static GptConfig preset(String name) {
        GptConfig c = PRESETS.get(name);
        if (c == null) throw new IllegalArgumentException("unknown preset '" + name + "'; known: " + PRESETS.keySet());
        return c;
    }

    public int headDim() { return embeddingDim / heads; }

    public GptConfig withTiedOutputHead(boolean tied) {
        return new GptConfig(vocabSize, contextLength, embeddingDim, heads, layers, dropRate, qkvBias, tied);
    }

    public GptConfig withDropRate(double rate) {
        return new GptConfig(vocabSize, contextLength, embeddingDim, heads, layers, rate, qkvBias, tiedOutputHead);
    }

    public GptConfig withQkvBias(boolean bias) {
        return new GptConfig(vocabSize, contextLength, embeddingDim, heads, layers, dropRate, bias, tiedOutputHead);
    }

    public GptConfig withContextLength(int t) {
        return new GptConfig(vocabSize, t, embeddingDim, heads, layers, dropRate, qkvBias, tiedOutputHead);
    }

    /** Every trainable number, counted as the book counts them. */
    public long parameterCount() {
        return ParameterLayout.of(this).totalSize();
    }
}
