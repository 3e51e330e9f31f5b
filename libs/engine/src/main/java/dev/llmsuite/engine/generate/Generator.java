package dev.llmsuite.engine.generate;

import dev.llmsuite.engine.model.GptModel;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Autoregressive generation as the book's generate(): a prompt longer than the context keeps its last
 * contextLength tokens; each step picks a token from the logits after the sequence so far. The prompt
 * is run once (prefill) and every step then computes only the new position against the KV cache.
 * Generation ends at a stop token, at maxNewTokens, or when the context is full ({@link KvCache#full}:
 * the one rule inference-service follows too, where the book would crop and recompute).
 */
public final class Generator {
    private final GptModel model;
    /** The decoder to generate with, or null: each generation then decodes on the fp32 weights with its own. */
    private final Decoder decoder;

    public Generator(GptModel model) {
        this.model = model;
        this.decoder = null;
    }

    /** Generation with this decoder (8-bit weights, say); it stays open. */
    public Generator(Decoder decoder) {
        this.model = decoder.model();
        this.decoder = decoder;
    }

    /**
     * Generates up to params.maxNewTokens() tokens after prompt, reporting each to onToken as it comes;
     * generation ends early when onToken answers false (a stop string, a client gone) or the context is full.
     */
    public int[] generate(int[] prompt, SamplingParams params, IntPredicate onToken) {
        int ctx = model.config().contextLength();
        int[] seq = prompt.length > ctx ? Arrays.copyOfRange(prompt, prompt.length - ctx, prompt.length) : prompt.clone();
        if (seq.length == 0) throw new IllegalArgumentException("empty prompt");
        int capacity = KvCache.capacityFor(ctx, seq.length, params.maxNewTokens());
        try (KvCache cache = new KvCache(model.backend(), model.config(), capacity); Decoder own = decoder == null ? Decoder.fp32(model) : null) {
            Decoder decoder = own != null ? own : this.decoder;
            return loop(seq, params, onToken, new Steps() {
                @Override public float[] prefill(int[] prompt) { return decoder.prefill(prompt, cache); }
                @Override public float[] next(int token) { return decoder.decode(token, cache); }
                @Override public boolean full() { return cache.full(); }
            });
        }
    }

    /** A model with its KV cache, as the loop drives it: the prompt once, then one token at a time. */
    public interface Steps {
        float[] prefill(int[] prompt);

        float[] next(int token);

        /** Whether the cache has no room for another token. */
        boolean full();
    }

    /**
     * The one generation loop (GPT-2's decoder here, Llama's in LlamaGenerator): pick from the logits, stop at a stop
     * token (not emitted), at maxNewTokens, when onToken answers false, or when the cache is full.
     */
    public static int[] loop(int[] prompt, SamplingParams params, IntPredicate onToken, Steps steps) {
        TokenSampler sampler = new TokenSampler(params);
        float[] logits = steps.prefill(prompt);
        int[] out = new int[params.maxNewTokens()];
        int produced = 0;
        while (produced < params.maxNewTokens()) {
            int next = sampler.next(logits);
            if (params.stopTokens().contains(next)) break;
            out[produced++] = next;
            if (onToken != null && !onToken.test(next)) break;
            if (produced == params.maxNewTokens() || steps.full()) break;
            logits = steps.next(next);
        }
        return Arrays.copyOf(out, produced);
    }
}
