package dev.llmsuite.engine.model.llama;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.train.AdamW;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW over every weight of a {@link LlamaModel}, which keeps its weights as separate tensors (GPT-2's
 * {@link AdamW} steps one contiguous buffer): the same kernel per tensor, moments laid out like each, decoupled
 * weight decay on the matrices and the embedding only (not on the RMSNorm gains), as nanoGPT and the book configure
 * it. The gradients come from a {@link LlamaTrainingStep} each step (a step is made per sequence length).
 */
public final class LlamaAdamW implements AutoCloseable {
    private final LlamaModel model;
    private final AdamW.Settings settings;
    private final Map<String, Tensor> weights;
    private final Map<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private int step;

    public LlamaAdamW(LlamaModel model, AdamW.Settings settings) {
        this.model = model;
        this.settings = settings;
        LlamaConfig c = model.config();
        this.weights = LlamaCheckpoint.byName(c, model.embedding(), model.layers(), model.finalNorm(), model.head());
        ComputeBackend be = model.backend();
        for (var e : weights.entrySet()) {
            m.put(e.getKey(), be.allocate(e.getValue().size()));
            v.put(e.getKey(), be.allocate(e.getValue().size()));
        }
    }

    /** Scales the gradients so their global L2 norm is at most maxNorm; the norm before. */
    public double clipGradientNorm(LlamaTrainingStep.Gradients g, double maxNorm) {
        ComputeBackend be = model.backend();
        Map<String, Tensor> grads = byName(g);
        double sum = 0;
        for (Tensor t : grads.values()) sum += be.sumOfSquares(t);
        double norm = Math.sqrt(sum), coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1.0) for (Tensor t : grads.values()) be.scale(t, (float) coefficient);
        return norm;
    }

    /** One update of every weight from g at learning rate lr. */
    public void step(LlamaTrainingStep.Gradients g, float lr) {
        step++;
        ComputeBackend be = model.backend();
        Map<String, Tensor> grads = byName(g);
        for (var e : weights.entrySet()) {
            String name = e.getKey();
            boolean decay = !name.endsWith("norm.weight"); // input/post-attention/q/k/final norms: no decay
            be.adamW(e.getValue(), grads.get(name), m.get(name), v.get(name), lr, settings.beta1(), settings.beta2(), settings.eps(),
                    decay ? settings.weightDecay() : 0f, step);
        }
    }

    private Map<String, Tensor> byName(LlamaTrainingStep.Gradients g) {
        return LlamaCheckpoint.byName(model.config(), g.embed(), g.layers(), g.finalNorm(), g.head());
    }

    /** The weights stepped, by their Hugging Face names. */
    public List<String> names() {
        return List.copyOf(weights.keySet());
    }

    @Override
    public void close() {
        for (Tensor t : m.values()) model.backend().release(t);
        for (Tensor t : v.values()) model.backend().release(t);
    }
}
