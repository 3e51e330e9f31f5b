package dev.llmsuite.engine.train;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.ParameterLayout;
import java.util.List;
import java.util.function.Predicate;

/**
 * AdamW with decoupled weight decay on matrices and embeddings only (not on biases or LayerNorm), as
 * nanoGPT and the book configure it. Moments live in the backend, laid out like the parameters.
 */
public final class AdamW {

    public record Settings(float beta1, float beta2, float eps, float weightDecay) {
        /** The book's choice: torch.optim.AdamW(lr, weight_decay=0.1) with PyTorch's betas and eps. */
        public static Settings book() { return new Settings(0.9f, 0.999f, 1e-8f, 0.1f); }
    }

    private final ComputeBackend be;
    private final Tensor params;
    private final Tensor grads;
    private final List<ParameterLayout.Spec> specs;
    private final Settings settings;
    private final Tensor m;
    private final Tensor v;
    private int step;

    /** Every parameter of the model. */
    public AdamW(GptModel model, Settings settings) {
        this(model.backend(), model.parameters(), model.gradients(), model.layout().specs(), settings);
    }

    /**
     * A parameter group: the given ranges of one parameter buffer and its gradient buffer (a frozen
     * model's trainable part, or adapters' own buffers). Moments are laid out like the buffers.
     */
    public AdamW(ComputeBackend backend, Tensor params, Tensor grads, List<ParameterLayout.Spec> specs, Settings settings) {
        this.be = backend;
        this.params = params;
        this.grads = grads;
        this.specs = List.copyOf(specs);
        this.settings = settings;
        this.m = backend.allocate(params.size());
        this.v = backend.allocate(params.size());
    }

    /** The model's parameters that pass the test (the rest stay frozen). */
    public static AdamW forModel(GptModel model, Settings settings, Predicate<ParameterLayout.Spec> trainable) {
        return new AdamW(model.backend(), model.parameters(), model.gradients(),
                model.layout().specs().stream().filter(trainable).toList(), settings);
    }

    public List<ParameterLayout.Spec> specs() { return specs; }

    public Settings settings() { return settings; }

    /** Steps taken so far (PyTorch's state["step"]). */
    public int stepCount() { return step; }

    public Tensor firstMoment() { return m; }
    public Tensor secondMoment() { return v; }

    /** Gives the moments' memory back to the backend; the optimizer must not step afterwards. */
    public void close() {
        be.release(m);
        be.release(v);
    }

    /** Restores a saved optimizer (moments written into {@link #firstMoment} / {@link #secondMoment}). */
    public void restoreStepCount(int steps) { this.step = steps; }

    /** One update of every parameter from the current gradients at learning rate lr. */
    public void step(float lr) {
        step++;
        for (ParameterLayout.Spec s : specs) {
            be.adamW(be.slice(params, s.offset(), s.size()), be.slice(grads, s.offset(), s.size()),
                    be.slice(m, s.offset(), s.size()), be.slice(v, s.offset(), s.size()),
                    lr, settings.beta1(), settings.beta2(), settings.eps(), s.decay() ? settings.weightDecay() : 0f, step);
        }
    }

    /**
     * Scales the gradients so their global L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_)
     * and returns the norm before clipping.
     */
    public static double clipGradientNorm(GptModel model, double maxNorm) {
        double norm = Math.sqrt(model.backend().sumOfSquares(model.gradients()));
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0) model.backend().scale(model.gradients(), (float) coef);
        return norm;
    }

    /** The same over this group's parameters only (frozen ones' gradients are not part of the norm). */
    public double clipGradientNorm(double maxNorm) {
        double sum = 0;
        for (ParameterLayout.Spec s : specs) sum += be.sumOfSquares(be.slice(grads, s.offset(), s.size()));
        double norm = Math.sqrt(sum);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0) for (ParameterLayout.Spec s : specs) be.scale(be.slice(grads, s.offset(), s.size()), (float) coef);
        return norm;
    }
}
