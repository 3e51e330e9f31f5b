package dev.llmsuite.records;

/**
 * GPT-2's vocabulary as every part of the suite relies on it, in one place: the tokenizer appends
 * {@link #END_OF_TEXT} to each document, the sampler pads with it, generation stops at it, fine-tuning pads and
 * separates with it, and a model whose vocabulary is {@link #VOCABULARY_SIZE} ids reads GPT-2's tokens.
 */
public final class Gpt2 {
    private Gpt2() {}

    /** {@code <|endoftext|>}: the last id. */
    public static final int END_OF_TEXT = 50256;

    /** 50,000 merges, 256 byte tokens and {@code <|endoftext|>}. */
    public static final int VOCABULARY_SIZE = 50257;
}
