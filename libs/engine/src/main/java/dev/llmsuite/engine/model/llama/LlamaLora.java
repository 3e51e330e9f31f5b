package dev.llmsuite.engine.model.llama;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.Safetensors;
import dev.llmsuite.engine.model.ParameterLayout;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * LoRA on a Llama / Qwen3 model's linear layers, PEFT's {@code target_modules} by name: out = x·Wᵀ + s·(x·Aᵀ)·Bᵀ with
 * s = alpha / r, the base W frozen, A [r, in] drawn as PEFT draws it (Kaiming-uniform, U(−1/√in, 1/√in)), B [out, r]
 * zero, so a new adapter changes nothing until it has trained.
 *
 * <pre>
 * forward:  h[N, r] = x · Aᵀ;          out[N, OUT] += s · h · Bᵀ
 * backward: ds = s · dout;  dB += dsᵀ · h;  dh = ds · B;  dA += dhᵀ · x;  dx += dh · A
 * </pre>
 *
 * Every adapter lives in one parameter buffer and one gradient buffer ({@link #specs()}: PEFT's tensor names), so one
 * AdamW group steps them all. {@link LlamaTrainingStep} calls {@link #forward}/{@link #backward} beside each base
 * product; {@link #mergeInto} folds the adapters into the weights (W += s·B·A) for decoding; {@link #save} writes
 * PEFT's adapter_model.safetensors and adapter_config.json, and {@link #load} reads them (ours, or PEFT's for a
 * Llama / Qwen3: plain LoRA on these modules; DoRA, rsLoRA, per-layer choices and extra trained modules refused).
 *
 * <p>Over 250 lines because an adapter's whole life is here (settings, layout, forward/backward, merge, its files
 * both ways); the arithmetic is the backend's products.
 */
public final class LlamaLora implements AutoCloseable {

    /** The linear layers an adapter can sit on, by PEFT's module names. */
    public enum Target {
        Q("self_attn.q_proj"), K("self_attn.k_proj"), V("self_attn.v_proj"), O("self_attn.o_proj"),
        GATE("mlp.gate_proj"), UP("mlp.up_proj"), DOWN("mlp.down_proj");

        public final String module;

        Target(String module) { this.module = module; }

        /** PEFT's short name (q_proj, ...). */
        public String peftName() { return module.substring(module.indexOf('.') + 1); }

        /** The base weight this target adapts, in a block's weights (or their gradients). */
        public Tensor weightIn(LlamaModel.Layer w) {
            return switch (this) {
                case Q -> w.wq();
                case K -> w.wk();
                case V -> w.wv();
                case O -> w.wo();
                case GATE -> w.wGate();
                case UP -> w.wUp();
                case DOWN -> w.wDown();
            };
        }

        int in(LlamaConfig c) {
            return switch (this) {
                case O -> c.heads() * c.headDim();
                case DOWN -> c.intermediate();
                default -> c.hidden();
            };
        }

        int out(LlamaConfig c) {
            return switch (this) {
                case Q -> c.heads() * c.headDim();
                case K, V -> c.kvHeads() * c.headDim();
                case GATE, UP -> c.intermediate();
                case O, DOWN -> c.hidden();
            };
        }
    }

    /** rank r, alpha, and the target layers (in every block). */
    public record Settings(int rank, double alpha, Set<Target> targets) {
        public Settings {
            if (rank < 1 || rank > 1024) throw new IllegalArgumentException("LoRA rank must be 1 to 1024");
            if (!(alpha > 0) || !Double.isFinite(alpha)) throw new IllegalArgumentException("LoRA alpha must be a positive number");
            if (targets.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target layer");
            targets = Set.copyOf(targets);
        }

        /** Rank 16, alpha 16, every linear layer of every block (the book's appendix E choice, on Llama's layers). */
        public static Settings book() {
            return new Settings(16, 16, EnumSet.allOf(Target.class));
        }

        float scale() { return (float) (alpha / rank); }
    }

    private final LlamaConfig config;
    private final Settings settings;
    private final ComputeBackend be;
    private final List<ParameterLayout.Spec> specs = new ArrayList<>();
    private final Map<String, ParameterLayout.Spec> byName = new LinkedHashMap<>();
    private final Tensor params;
    private final Tensor grads;
    /** Per (layer, target): h = x·Aᵀ [rows, r] kept from forward for backward; scratch for out and dh. */
    private final Map<String, Tensor> hidden = new LinkedHashMap<>();
    private Tensor scratch;
    private Tensor dh;
    private int rows;

    public LlamaLora(ComputeBackend backend, LlamaConfig config, Settings settings, long seed) {
        this(backend, config, settings, seed, true);
    }

    /** trainable: with gradient buffers (a loaded adapter, only applied or merged, has none: half the memory). */
    private LlamaLora(ComputeBackend backend, LlamaConfig config, Settings settings, long seed, boolean trainable) {
        this.be = backend;
        this.config = config;
        this.settings = settings;
        long offset = 0;
        for (int l = 0; l < config.layers(); l++) {
            for (Target t : EnumSet.copyOf(settings.targets())) {
                int r = settings.rank(), in = t.in(config), out = t.out(config);
                for (ParameterLayout.Spec s : List.of(
                        new ParameterLayout.Spec(name(l, t, "A"), new int[] {r, in}, offset, (long) r * in, true, false),
                        new ParameterLayout.Spec(name(l, t, "B"), new int[] {out, r}, offset + (long) r * in, (long) out * r, true, false))) {
                    specs.add(s);
                    byName.put(s.name(), s);
                }
                offset += (long) r * (in + out);
            }
        }
        this.params = backend.allocate(offset);
        this.grads = trainable ? backend.allocate(offset) : null;
        Random random = new Random(seed);
        for (ParameterLayout.Spec s : specs) {
            if (!s.name().endsWith("lora_A.weight")) continue; // B stays zero
            float bound = (float) (1 / Math.sqrt(s.shape()[1]));
            float[] a = new float[Math.toIntExact(s.size())];
            for (int i = 0; i < a.length; i++) a[i] = (random.nextFloat() * 2 - 1) * bound;
            backend.write(params, s.offset(), a, 0, a.length);
        }
    }

    /** PEFT's name of an adapter matrix: base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight. */
    static String name(int layer, Target t, String matrix) {
        return "base_model.model.model.layers." + layer + "." + t.module + ".lora_" + matrix + ".weight";
    }

    public LlamaConfig config() { return config; }

    public Settings settings() { return settings; }

    public ComputeBackend backend() { return be; }

    public List<ParameterLayout.Spec> specs() { return List.copyOf(specs); }

    public Tensor parameters() { return params; }

    /** The adapters' gradients; a loaded adapter ({@link #load}) has none. */
    public Tensor gradients() {
        if (grads == null) throw new IllegalStateException("a loaded adapter is applied or merged, not trained: it has no gradients");
        return grads;
    }

    boolean covers(Target t) { return settings.targets().contains(t); }

    /** Buffers for products of up to n rows (kept h per adapter, the scratch). */
    void prepare(int n) {
        if (n <= rows) return;
        for (Tensor x : hidden.values()) be.release(x);
        hidden.clear();
        if (scratch != null) {
            be.release(scratch);
            be.release(dh);
        }
        int widest = 0;
        for (Target t : settings.targets()) widest = Math.max(widest, t.out(config));
        for (int l = 0; l < config.layers(); l++) {
            for (Target t : settings.targets()) hidden.put(l + "." + t, be.allocate((long) n * settings.rank()));
        }
        scratch = be.allocate((long) n * widest);
        dh = be.allocate((long) n * settings.rank());
        rows = n;
    }

    private Tensor matrix(int layer, Target t, String which) {
        ParameterLayout.Spec s = byName.get(name(layer, t, which));
        return be.slice(params, s.offset(), s.size());
    }

    private Tensor gradient(int layer, Target t, String which) {
        ParameterLayout.Spec s = byName.get(name(layer, t, which));
        return be.slice(gradients(), s.offset(), s.size());
    }

    /** out[n, OUT] += s · (x · Aᵀ) · Bᵀ for the adapter on (layer, t); keeps x · Aᵀ for the backward. */
    void forward(int layer, Target t, Tensor x, Tensor out, int n) {
        int r = settings.rank(), in = t.in(config), o = t.out(config);
        Tensor h = be.slice(hidden.get(layer + "." + t), 0, (long) n * r);
        be.matmulForward(h, x, matrix(layer, t, "A"), null, n, in, r);
        Tensor delta = be.slice(scratch, 0, (long) n * o);
        be.matmulForward(delta, h, matrix(layer, t, "B"), null, n, r, o);
        be.scale(delta, settings.scale());
        be.residualForward(out, out, delta, n * o);
    }

    /** The adapter's share of the backward of out = x·Wᵀ + …: dA, dB accumulated, dx += (s·dout·B)·A. */
    void backward(int layer, Target t, Tensor dx, Tensor dout, Tensor x, int n) {
        int r = settings.rank(), in = t.in(config), o = t.out(config);
        Tensor h = be.slice(hidden.get(layer + "." + t), 0, (long) n * r);
        Tensor ds = be.slice(scratch, 0, (long) n * o);
        be.copy(ds, be.slice(dout, 0, (long) n * o));
        be.scale(ds, settings.scale());
        Tensor dhRows = be.slice(dh, 0, (long) n * r);
        be.zero(dhRows);
        be.matmulBackward(dhRows, gradient(layer, t, "B"), null, ds, h, matrix(layer, t, "B"), n, r, o);
        be.matmulBackward(dx, gradient(layer, t, "A"), null, dhRows, x, matrix(layer, t, "A"), n, in, r);
    }

    /** W += s · B · A in every adapted layer: the model then decodes as base + adapters, at the base's cost. */
    public void mergeInto(LlamaModel model) {
        float s = settings.scale();
        int r = settings.rank();
        for (int l = 0; l < config.layers(); l++) {
            LlamaModel.Layer w = model.layers().get(l);
            for (Target t : settings.targets()) {
                int in = t.in(config), o = t.out(config);
                float[] a = read(matrix(l, t, "A"), (long) r * in), b = read(matrix(l, t, "B"), (long) o * r);
                Tensor weight = t.weightIn(w);
                float[] wv = read(weight, (long) o * in);
                for (int row = 0; row < o; row++) {
                    for (int k = 0; k < r; k++) {
                        float coefficient = s * b[row * r + k];
                        if (coefficient == 0) continue;
                        for (int col = 0; col < in; col++) wv[row * in + col] += coefficient * a[k * in + col];
                    }
                }
                be.write(weight, 0, wv, 0, wv.length);
            }
        }
    }

    /** PEFT's adapter files: adapter_model.safetensors (the specs' names) and adapter_config.json. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Safetensors.Data> tensors = new LinkedHashMap<>();
        for (ParameterLayout.Spec s : specs) {
            tensors.put(s.name(), Safetensors.Data.of(read(be.slice(params, s.offset(), s.size()), s.size()), s.shape()[0], s.shape()[1]));
        }
        Safetensors.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
        Map<String, Object> adapterConfig = new LinkedHashMap<>();
        adapterConfig.put("peft_type", "LORA");
        adapterConfig.put("task_type", "CAUSAL_LM");
        adapterConfig.put("r", settings.rank());
        adapterConfig.put("lora_alpha", settings.alpha());
        adapterConfig.put("lora_dropout", 0.0);
        adapterConfig.put("bias", "none");
        adapterConfig.put("target_modules", EnumSet.copyOf(settings.targets()).stream().map(Target::peftName).toList());
        Files.writeString(dir.resolve("adapter_config.json"), Json.write(adapterConfig), StandardCharsets.UTF_8);
    }

    /**
     * PEFT's adapter files in dir for a model of config c: adapter_config.json checked to be plain LoRA on modules
     * named here, every tensor of adapter_model.safetensors one of the expected A/B pairs with its shape (checked
     * before anything is allocated), none missing, none left over. For applying (a served view) or merging: it has no
     * gradient buffers.
     */
    public static LlamaLora load(ComputeBackend backend, LlamaConfig c, Path dir) throws IOException {
        Path configFile = dir.resolve("adapter_config.json"), weights = dir.resolve("adapter_model.safetensors");
        if (!Files.isRegularFile(configFile) || !Files.isRegularFile(weights)) {
            throw new IOException(dir + " holds no adapter_config.json and adapter_model.safetensors (PEFT's adapter files)");
        }
        Map<?, ?> m = HfCheckpoint.jsonObject(configFile);
        Settings settings;
        try {
            if (m.get("peft_type") != null && !"LORA".equals(m.get("peft_type"))) throw new IllegalArgumentException("peft_type " + m.get("peft_type") + " is not LORA");
            for (String flag : new String[] {"use_rslora", "use_dora", "fan_in_fan_out"}) {
                if (Boolean.TRUE.equals(m.get(flag))) throw new IllegalArgumentException(flag + " is set; plain LoRA is applied here");
            }
            if (m.get("layers_to_transform") != null) throw new IllegalArgumentException("layers_to_transform is set; adapters on every layer are applied here");
            if (m.get("modules_to_save") instanceof List<?> saved && !saved.isEmpty()) throw new IllegalArgumentException("modules_to_save " + saved + " are not applied here");
            if (m.get("bias") != null && !"none".equals(m.get("bias"))) throw new IllegalArgumentException("bias " + m.get("bias") + " is not applied here");
            Object modules = m.get("target_modules");
            List<?> names = modules instanceof String one ? List.of(one) : modules instanceof List<?> list ? list : List.of();
            Set<Target> targets = EnumSet.noneOf(Target.class);
            for (Object name : names) {
                Target t = null;
                for (Target candidate : Target.values()) if (candidate.peftName().equals(name)) t = candidate;
                if (t == null) throw new IllegalArgumentException("target module " + name + " is not one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
                targets.add(t);
            }
            if (!(m.get("r") instanceof Long r) || !(m.get("lora_alpha") instanceof Number alpha)) throw new IllegalArgumentException("r and lora_alpha must be numbers");
            settings = new Settings(Math.toIntExact(Math.min(r, Integer.MAX_VALUE)), alpha.doubleValue(), targets);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(configFile + ": " + e.getMessage(), e);
        }
        try (Safetensors.Reader r = Safetensors.open(weights)) {
            Map<String, long[]> expected = new LinkedHashMap<>();
            for (int l = 0; l < c.layers(); l++) {
                for (Target t : settings.targets()) {
                    expected.put(name(l, t, "A"), new long[] {settings.rank(), t.in(c)});
                    expected.put(name(l, t, "B"), new long[] {t.out(c), settings.rank()});
                }
            }
            for (String held : r.entries().keySet()) {
                if (!expected.containsKey(held)) throw new IOException(weights + ": " + held + " is not an adapter matrix of this model and settings");
            }
            for (var e : expected.entrySet()) {
                Safetensors.Entry entry = r.entries().get(e.getKey());
                if (entry == null) throw new IOException(weights + ": missing " + e.getKey());
                if (!Arrays.equals(entry.shape(), e.getValue())) {
                    throw new IOException(weights + ": " + e.getKey() + " has shape " + Arrays.toString(entry.shape()) + ", expected " + Arrays.toString(e.getValue()));
                }
            }
            LlamaLora lora = new LlamaLora(backend, c, settings, 0, false);
            try {
                for (ParameterLayout.Spec s : lora.specs) {
                    float[] v = r.floats(s.name());
                    backend.write(lora.params, s.offset(), v, 0, v.length);
                }
            } catch (IOException | RuntimeException e) {
                lora.close();
                throw e;
            }
            return lora;
        }
    }

    private float[] read(Tensor x, long n) {
        float[] v = new float[Math.toIntExact(n)];
        be.read(x, 0, v, 0, v.length);
        return v;
    }

    @Override
    public void close() {
        for (Tensor x : hidden.values()) be.release(x);
        if (scratch != null) {
            be.release(scratch);
            be.release(dh);
        }
        be.release(params);
        if (grads != null) be.release(grads);
    }
}
