package dev.llmsuite.engine.model;

/**
 * Where dropout acts, each with its own stream of the step's dropout seed, so that backward regenerates the very
 * mask forward drew (nothing is stored): the embeddings, then per layer the attention weights, the attention
 * output and the MLP output.
 */
final class DropoutSite {
    static final long EMBEDDINGS = 0;

    static long attentionWeights(int layer) { return 1 + 3L * layer; }

    static long attentionOutput(int layer) { return 2 + 3L * layer; }

    static long mlpOutput(int layer) { return 3 + 3L * layer; }

    private DropoutSite() {}
}
