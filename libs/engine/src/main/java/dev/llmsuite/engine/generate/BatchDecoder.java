package dev.llmsuite.engine.generate;

import java.util.List;

/**
 * What continuous batching needs of a model (inference-service's scheduler): a prompt into an empty cache, then one
 * decode step for several sequences together, each on its own cache, reading each weight once for the whole batch.
 * GPT-2's {@link Decoder} and Llama's {@code LlamaModel} are the two.
 *
 * @param <C> the model's cache
 */
public interface BatchDecoder<C extends SequenceCache> {

    int contextLength();

    int vocabSize();

    /** Bytes of keys and values one position takes (what a sequence of n positions holds: n times this). */
    long cacheBytesPerPosition();

    /** An empty cache for at most capacity positions (≤ the context). */
    C newCache(int capacity);

    /** Runs the prompt into the empty cache; the logits after its last token. */
    float[] prefill(int[] tokens, C cache);

    /** Sequence i appends tokens[i] at position caches[i].length(); each sequence's next-token logits. */
    float[][] decodeBatch(int[] tokens, List<C> caches);

    /** The weights decode steps read (fp32, bf16, int8, fp32 panels). */
    ServingWeights weights();

    /** A prefix cache of at most megabytes of backend memory for this model's caches (at least one block). */
    PrefixCache newPrefixCache(long megabytes, PrefixCache.Listener listener);

    /**
     * Prompts that begin alike share their first blocks' keys and values through this cache from now on (null: none);
     * the decoder owns it and closes it with itself.
     */
    void usePrefixCache(PrefixCache cache);
}
