package dev.llmsuite.engine.generate;

import java.util.Set;

/**
 * How to pick each next token. temperature 0 is greedy (argmax); otherwise logits are divided by the
 * temperature, cut to the topK most likely (0 = all), then to the smallest set whose probability
 * reaches topP (1 = all), and sampled from a generator seeded with seed. Generation stops after
 * maxNewTokens or at a stop token (which is not emitted).
 */
public record SamplingParams(int maxNewTokens, double temperature, int topK, double topP, long seed, Set<Integer> stopTokens) {

    public SamplingParams {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be >= 0");
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0");
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1]");
        stopTokens = Set.copyOf(stopTokens);
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(maxNewTokens, 0, 0, 1, 0, Set.of());
    }
}
