package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * LoRA (the book's appendix E) on chosen linear layers of a GPT: out = x·Wᵀ + b + (alpha / r)·x·A·B,
 * with the base W frozen and only A and B trained. Stored in the matmul layout, which is also PEFT's:
 * {@code lora_A} [r, in] (the book's A transposed) and {@code lora_B} [out, r]. A starts Kaiming-uniform
 * (PyTorch's kaiming_uniform_(a=√5) on the book's [in, r] A: U(−1/√r, 1/√r)), B at zero, so a new
 * adapter changes nothing until it has trained.
 *
 * <pre>
 * forward:  h[N, r] = x · Aᵀ;  out[N, OC] += s · h · Bᵀ                       (s = alpha / r)
 * backward: dB += (s·dout)ᵀ · h;  dh = (s·dout) · B;  dA += dhᵀ · x;  dx += dh · A
 * </pre>
 */
public final class LoraAdapters {

    /** The linear layers an adapter can sit on, by their Hugging Face names. */
    public enum Target {
        QKV("attn.c_attn"), ATTN_PROJ("attn.c_proj"), FC("mlp.c_fc"), FC_PROJ("mlp.c_proj");

        /** The base layer's name prefix, e.g. attn.c_attn. */
        public final String layer;

        Target(String layer) { this.layer = layer; }

        int in(int c) { return this == FC_PROJ ? 4 * c : c; }

        int out(int c) { return switch (this) { case QKV -> 3 * c; case FC -> 4 * c; default -> c; }; }
    }

    /** rank r, alpha, the target layers, and which blocks (all when empty). */
    public record Settings(int rank, double alpha, Set<Target> targets, Set<Integer> layers) {
        public Settings {
            if (rank < 1) throw new IllegalArgumentException("LoRA rank must be >= 1");
            if (targets.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target layer");
            targets = Set.copyOf(targets);
            layers = Set.copyOf(layers);
        }

        /** The book's appendix E: rank 16, alpha 16, every linear layer of every block. */
        public static Settings book() {
            return new Settings(16, 16, EnumSet.allOf(Target.class), Set.of());
        }
    }

    private final GptConfig cfg;
    private final Settings settings;
    private final ComputeBackend be;
    private final ParameterLayout layout;
    private final Tensor params;
    private Tensor grads;
    /** Per (layer, target): h = x·Aᵀ [N, r], kept from forward for backward; scratch for the update. */
    private final Map<String, Tensor> hidden = new LinkedHashMap<>();
    private Tensor scratch;
    private Tensor dh;
    private int rows;

    public LoraAdapters(ComputeBackend backend, GptConfig config, Settings settings) {
        this.be = backend;
        this.cfg = config;
        this.settings = settings;
        this.layout = ParameterLayout.ofAdapters(config, settings);
        this.params = backend.allocate(layout.totalSize());
    }

    public GptConfig config() { return cfg; }

    public ComputeBackend backend() { return be; }

    public Settings settings() { return settings; }

    public ParameterLayout layout() { return layout; }

    public Tensor parameters() { return params; }

    public Tensor gradients() {
        if (grads == null) grads = be.allocate(layout.totalSize());
        return grads;
    }

    /** Trainable values: the adapters' whole parameter count. */
    public long parameterCount() { return layout.totalSize(); }

    private float scale() { return (float) (settings.alpha() / settings.rank()); }

    boolean covers(int layer, Target target) {
        return settings.targets().contains(target) && (settings.layers().isEmpty() || settings.layers().contains(layer));
    }

    boolean hasLayer(int layer) {
        return settings.layers().isEmpty() ? cfg.layers() > layer : settings.layers().contains(layer);
    }

    static String name(int layer, Target target, char matrix) {
        return "h." + layer + "." + target.layer + ".lora_" + matrix + ".weight";
    }

    private Tensor param(String name) {
        ParameterLayout.Spec s = layout.get(name);
        return be.slice(params, s.offset(), s.size());
    }

    private Tensor grad(String name) {
        ParameterLayout.Spec s = layout.get(name);
        return be.slice(gradients(), s.offset(), s.size());
    }

    /** A ~ U(−1/√r, 1/√r), B = 0: deterministic for a seed. */
    public void initialize(long seed) {
        Random rnd = new Random(seed);
        double bound = 1 / Math.sqrt(settings.rank());
        for (ParameterLayout.Spec s : layout.specs()) {
            float[] v = new float[(int) s.size()];
            if (s.name().contains(".lora_A.")) for (int i = 0; i < v.length; i++) v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            be.write(params, s.offset(), v, 0, v.length);
        }
    }

    private void ensureRows(int n) {
        if (n <= rows) return;
        hidden.values().forEach(be::release);
        hidden.clear();
        if (scratch != null) {
            be.release(scratch);
            be.release(dh);
        }
        rows = n;
        scratch = be.allocate((long) n * 4 * cfg.embeddingDim());
        dh = be.allocate((long) n * settings.rank());
    }

    private Tensor hiddenOf(int layer, Target target, int n) {
        return be.slice(hidden.computeIfAbsent(layer + "/" + target, k -> be.allocate((long) rows * settings.rank())), 0,
                (long) n * settings.rank());
    }

    /** out[N, OC] += s · (x·Aᵀ)·Bᵀ for the layer's adapter (nothing when it has none). */
    public void forward(int layer, Target target, Tensor out, Tensor x, int n) {
        if (!covers(layer, target)) return;
        ensureRows(n);
        int c = cfg.embeddingDim(), in = target.in(c), oc = target.out(c), r = settings.rank();
        Tensor h = hiddenOf(layer, target, n);
        be.matmulForward(h, x, param(name(layer, target, 'A')), null, n, in, r);
        Tensor delta = be.slice(scratch, 0, (long) n * oc);
        be.matmulForward(delta, h, param(name(layer, target, 'B')), null, n, r, oc);
        be.scale(delta, scale());
        be.residualForward(out, out, delta, n * oc);
    }

    /** Given dout of the layer: dA, dB, and dx += the adapter's part (nothing when it has none). */
    void backward(int layer, Target target, Tensor dout, Tensor x, Tensor dx, int n) {
        if (!covers(layer, target)) return;
        int c = cfg.embeddingDim(), in = target.in(c), oc = target.out(c), r = settings.rank();
        Tensor scaled = be.slice(scratch, 0, (long) n * oc);
        be.copy(scaled, dout);
        be.scale(scaled, scale());
        Tensor d = be.slice(dh, 0, (long) n * r);
        be.zero(d);
        be.matmulBackward(d, grad(name(layer, target, 'B')), null, scaled, hiddenOf(layer, target, n), param(name(layer, target, 'B')), n, r, oc);
        be.matmulBackward(dx, grad(name(layer, target, 'A')), null, d, x, param(name(layer, target, 'A')), n, in, r);
    }

    /** Folds every adapter into the model's base weights: W += s · B·A. The model then needs no adapters. */
    public void mergeInto(GptModel model) {
        int c = cfg.embeddingDim(), r = settings.rank();
        float s = scale();
        for (int l = 0; l < cfg.layers(); l++) {
            for (Target t : Target.values()) {
                if (!covers(l, t)) continue;
                int in = t.in(c), oc = t.out(c);
                float[] a = read(param(name(l, t, 'A')), r * in), b = read(param(name(l, t, 'B')), oc * r);
                Tensor w = model.param("h." + l + "." + t.layer + ".weight");
                float[] wv = read(w, oc * in);
                for (int o = 0; o < oc; o++) {
                    for (int k = 0; k < r; k++) {
                        float bok = s * b[o * r + k];
                        if (bok == 0f) continue;
                        for (int i = 0; i < in; i++) wv[o * in + i] += bok * a[k * in + i];
                    }
                }
                be.write(w, 0, wv, 0, wv.length);
            }
        }
    }

    private float[] read(Tensor t, int n) {
        float[] out = new float[n];
        be.read(t, 0, out, 0, n);
        return out;
    }

    /** The adapters' tensor names and shapes, for files. */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (ParameterLayout.Spec s : layout.specs()) out.add(s.name());
        return out;
    }
}
