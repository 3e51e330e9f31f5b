package dev.llmsuite.engine.model.llama;

import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Generation with a {@link LlamaModel} through the GPT-2 {@link Generator}'s loop: a prompt longer than the context
 * keeps its last tokens, the prompt is run once and each step computes only its new position against the cache, and
 * generation ends at a stop token (not emitted), at maxNewTokens, when onToken answers false, or when the context is
 * full.
 */
public final class LlamaGenerator {
    private final LlamaModel model;

    public LlamaGenerator(LlamaModel model) {
        this.model = model;
    }

    public int[] generate(int[] prompt, SamplingParams params, IntPredicate onToken) {
        int ctx = model.config().contextLength();
        int[] seq = prompt.length > ctx ? Arrays.copyOfRange(prompt, prompt.length - ctx, prompt.length) : prompt.clone();
        if (seq.length == 0) throw new IllegalArgumentException("empty prompt");
        int capacity = (int) Math.min(ctx, (long) seq.length + params.maxNewTokens());
        try (LlamaCache cache = new LlamaCache(model.backend(), model.config(), capacity)) {
            return Generator.loop(seq, params, onToken, new Generator.Steps() {
                @Override public float[] prefill(int[] prompt) { return model.forward(prompt, cache, false); }
                @Override public float[] next(int token) { return model.forward(new int[] {token}, cache, false); }
                @Override public boolean full() { return cache.length() == cache.capacity(); }
            });
        }
    }
}
