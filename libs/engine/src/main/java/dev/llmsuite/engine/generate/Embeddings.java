package dev.llmsuite.engine.generate;

import dev.llmsuite.engine.model.GptModel;

/**
 * A text's embedding from a GPT (or a Llama: {@link #meanPooled} of its {@code hiddenStates}): the final norm's output
 * [T, C] averaged over the text's T tokens (every token sees only those before it, so the mean gathers what the whole
 * text says), then scaled to length 1 so that cosine similarity is a dot product, as OpenAI's embeddings are.
 * Optionally cut to the first {@code dimensions} values and scaled to length 1 again.
 */
public final class Embeddings {
    private Embeddings() {}

    /** The embedding of {@code ids} (1 to contextLength tokens), of {@code dimensions} values (≤ the model's width). */
    public static float[] of(GptModel model, int[] ids, int dimensions) {
        int t = ids.length, c = model.config().embeddingDim();
        if (t == 0 || t > model.config().contextLength()) {
            throw new IllegalArgumentException("an embedding needs 1 to " + model.config().contextLength() + " tokens, got " + t);
        }
        if (dimensions < 1 || dimensions > c) throw new IllegalArgumentException("dimensions must be in [1, " + c + "], got " + dimensions);
        model.forwardHidden(ids, null, 1, t, false, 0);
        float[] hidden = new float[t * c];
        model.backend().read(model.hidden(), 0, hidden, 0, hidden.length);
        return meanPooled(hidden, t, c, dimensions);
    }

    /** The mean of t rows of width c, its first dimensions values scaled to length 1. */
    public static float[] meanPooled(float[] hidden, int t, int c, int dimensions) {
        if (dimensions < 1 || dimensions > c) throw new IllegalArgumentException("dimensions must be in [1, " + c + "], got " + dimensions);
        double[] mean = new double[dimensions];
        for (int p = 0; p < t; p++) for (int i = 0; i < dimensions; i++) mean[i] += hidden[p * c + i];
        double norm = 0;
        for (double v : mean) norm += v * v;
        norm = Math.sqrt(norm);
        float[] out = new float[dimensions];
        for (int i = 0; i < dimensions; i++) out[i] = (float) (norm == 0 ? 0 : mean[i] / norm); // the 1/T cancels
        return out;
    }
}
