package dev.llmsuite.engine.io;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import dev.llmsuite.engine.model.llama.LlamaConfig.RopeScaling;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama 3.x and Qwen3 in the Hugging Face layout: {@code config.json} (LlamaForCausalLM or Qwen3ForCausalLM) and
 * {@code model.safetensors} (or {@code pytorch_model.bin}) with their tensor names:
 *
 * <pre>
 *   model.embed_tokens.weight [V, H]           model.norm.weight [H]         lm_head.weight [V, H] (absent when tied)
 *   model.layers.N.input_layernorm.weight [H]   .post_attention_layernorm.weight [H]
 *   model.layers.N.self_attn.q_proj.weight [NH·D, H]   .k_proj, .v_proj [NKV·D, H]   .o_proj [H, NH·D]
 *   model.layers.N.self_attn.q_norm.weight, .k_norm.weight [D]                      (Qwen3)
 *   model.layers.N.mlp.gate_proj.weight, .up_proj [I, H]   .down_proj [H, I]
 * </pre>
 *
 * The configuration is checked to be one the engine runs (SiLU, no attention or MLP biases, no sliding window, rope
 * scaling "llama3" or none) and every tensor's shape against it before anything is allocated.
 */
public final class LlamaCheckpoint {
    private LlamaCheckpoint() {}

    /** Whether dir's config.json names one of the architectures read here. */
    public static boolean isOne(Path dir) {
        try {
            return architecture(configJson(dir)) != null;
        } catch (IOException e) {
            return false;
        }
    }

    public static LlamaModel load(ComputeBackend backend, Path dir) throws IOException {
        LlamaConfig c = readConfig(dir);
        try (TensorFile file = HfCheckpoint.openWeights(dir)) {
            // a dozen tensors a layer: a layer count beyond the file's tensors is refused before the names are listed
            if (c.layers() > file.shapes().size()) {
                throw new IOException(dir + ": config.json claims " + c.layers() + " layers, the weights hold " + file.shapes().size() + " tensors");
            }
            Map<String, long[]> expected = expectedShapes(c);
            for (var e : expected.entrySet()) {
                long[] shape = file.shapes().get(e.getKey());
                if (shape == null) throw new IOException(dir + ": missing tensor " + e.getKey());
                if (!Arrays.equals(shape, e.getValue())) {
                    throw new IOException(dir + ": " + e.getKey() + " has shape " + Arrays.toString(shape) + ", config.json implies "
                            + Arrays.toString(e.getValue()));
                }
            }
            List<Tensor> loaded = new ArrayList<>();
            try {
                Tensor embed = read(backend, file, "model.embed_tokens.weight", loaded);
                List<LlamaModel.Layer> layers = new ArrayList<>();
                for (int n = 0; n < c.layers(); n++) {
                    String p = "model.layers." + n + ".";
                    layers.add(new LlamaModel.Layer(read(backend, file, p + "input_layernorm.weight", loaded),
                            read(backend, file, p + "self_attn.q_proj.weight", loaded), read(backend, file, p + "self_attn.k_proj.weight", loaded),
                            read(backend, file, p + "self_attn.v_proj.weight", loaded), read(backend, file, p + "self_attn.o_proj.weight", loaded),
                            c.qkNorm() ? read(backend, file, p + "self_attn.q_norm.weight", loaded) : null,
                            c.qkNorm() ? read(backend, file, p + "self_attn.k_norm.weight", loaded) : null,
                            read(backend, file, p + "post_attention_layernorm.weight", loaded),
                            read(backend, file, p + "mlp.gate_proj.weight", loaded), read(backend, file, p + "mlp.up_proj.weight", loaded),
                            read(backend, file, p + "mlp.down_proj.weight", loaded)));
                }
                Tensor norm = read(backend, file, "model.norm.weight", loaded);
                Tensor head = c.tiedEmbeddings() ? embed : read(backend, file, "lm_head.weight", loaded);
                return new LlamaModel(backend, c, embed, layers, norm, head);
            } catch (IOException | RuntimeException e) {
                for (Tensor t : loaded) backend.release(t);
                throw e;
            }
        }
    }

    /** Writes config.json and model.safetensors (f32) into dir, in the layout {@link #load} reads. */
    public static void save(LlamaModel model, Path dir) throws IOException {
        LlamaConfig c = model.config();
        Files.createDirectories(dir);
        Map<String, long[]> shapes = expectedShapes(c);
        Map<String, Tensor> weights = byName(c, model.embedding(), model.layers(), model.finalNorm(), model.head());
        Map<String, Safetensors.Data> tensors = new LinkedHashMap<>();
        for (var e : weights.entrySet()) {
            long[] shape = shapes.get(e.getKey());
            long n = 1;
            for (long d : shape) n *= d;
            float[] values = new float[Math.toIntExact(n)];
            model.backend().read(e.getValue(), 0, values, 0, values.length);
            tensors.put(e.getKey(), Safetensors.Data.of(values, shape));
        }
        Safetensors.write(dir.resolve(HfCheckpoint.WEIGHTS), tensors, Map.of("format", "pt"));
        Files.writeString(dir.resolve(HfCheckpoint.CONFIG), Json.write(configJson(c)), StandardCharsets.UTF_8);
    }

    /** Tensors laid out as a model's weights (the weights, or their gradients) under their Hugging Face names. */
    public static Map<String, Tensor> byName(LlamaConfig c, Tensor embed, List<LlamaModel.Layer> layers, Tensor finalNorm, Tensor head) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", embed);
        for (int n = 0; n < c.layers(); n++) {
            String p = "model.layers." + n + ".";
            LlamaModel.Layer l = layers.get(n);
            m.put(p + "input_layernorm.weight", l.inputNorm());
            m.put(p + "self_attn.q_proj.weight", l.wq());
            m.put(p + "self_attn.k_proj.weight", l.wk());
            m.put(p + "self_attn.v_proj.weight", l.wv());
            m.put(p + "self_attn.o_proj.weight", l.wo());
            if (c.qkNorm()) {
                m.put(p + "self_attn.q_norm.weight", l.qNorm());
                m.put(p + "self_attn.k_norm.weight", l.kNorm());
            }
            m.put(p + "post_attention_layernorm.weight", l.postNorm());
            m.put(p + "mlp.gate_proj.weight", l.wGate());
            m.put(p + "mlp.up_proj.weight", l.wUp());
            m.put(p + "mlp.down_proj.weight", l.wDown());
        }
        m.put("model.norm.weight", finalNorm);
        if (!c.tiedEmbeddings()) m.put("lm_head.weight", head);
        return m;
    }

    /** The Hugging Face config.json of c. */
    static Map<String, Object> configJson(LlamaConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(c.architecture().hfName));
        m.put("model_type", c.architecture() == Architecture.QWEN3 ? "qwen3" : "llama");
        m.put("vocab_size", c.vocabSize());
        m.put("hidden_size", c.hidden());
        m.put("intermediate_size", c.intermediate());
        m.put("num_hidden_layers", c.layers());
        m.put("num_attention_heads", c.heads());
        m.put("num_key_value_heads", c.kvHeads());
        m.put("head_dim", c.headDim());
        m.put("max_position_embeddings", c.contextLength());
        m.put("rms_norm_eps", (double) c.rmsNormEps());
        m.put("rope_theta", c.ropeTheta());
        RopeScaling s = c.ropeScaling();
        m.put("rope_scaling", s == null ? null : new LinkedHashMap<>(Map.of("rope_type", "llama3", "factor", s.factor(),
                "low_freq_factor", s.lowFreqFactor(), "high_freq_factor", s.highFreqFactor(), "original_max_position_embeddings", s.originalContext())));
        m.put("tie_word_embeddings", c.tiedEmbeddings());
        m.put("hidden_act", "silu");
        m.put("attention_bias", false);
        return m;
    }

    /** Every tensor the configuration implies, with its shape. */
    public static Map<String, long[]> expectedShapes(LlamaConfig c) {
        long h = c.hidden(), d = c.headDim(), i = c.intermediate();
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", new long[] {c.vocabSize(), h});
        for (int n = 0; n < c.layers(); n++) {
            String p = "model.layers." + n + ".";
            m.put(p + "input_layernorm.weight", new long[] {h});
            m.put(p + "self_attn.q_proj.weight", new long[] {c.heads() * d, h});
            m.put(p + "self_attn.k_proj.weight", new long[] {c.kvHeads() * d, h});
            m.put(p + "self_attn.v_proj.weight", new long[] {c.kvHeads() * d, h});
            m.put(p + "self_attn.o_proj.weight", new long[] {h, c.heads() * d});
            if (c.qkNorm()) {
                m.put(p + "self_attn.q_norm.weight", new long[] {d});
                m.put(p + "self_attn.k_norm.weight", new long[] {d});
            }
            m.put(p + "post_attention_layernorm.weight", new long[] {h});
            m.put(p + "mlp.gate_proj.weight", new long[] {i, h});
            m.put(p + "mlp.up_proj.weight", new long[] {i, h});
            m.put(p + "mlp.down_proj.weight", new long[] {h, i});
        }
        m.put("model.norm.weight", new long[] {h});
        if (!c.tiedEmbeddings()) m.put("lm_head.weight", new long[] {c.vocabSize(), h});
        return m;
    }

    private static Tensor read(ComputeBackend backend, TensorFile file, String name, List<Tensor> loaded) throws IOException {
        float[] values = file.floats(name);
        Tensor t = backend.allocate(values.length);
        loaded.add(t);
        backend.write(t, 0, values, 0, values.length);
        return t;
    }

    public static LlamaConfig readConfig(Path dir) throws IOException {
        Map<?, ?> m = configJson(dir);
        Architecture arch = architecture(m);
        Path file = dir.resolve(HfCheckpoint.CONFIG);
        if (arch == null) throw new IOException(file + " names no architecture read here (LlamaForCausalLM, Qwen3ForCausalLM)");
        try {
            require(m, "hidden_act", "silu");
            for (String flag : new String[] {"attention_bias", "mlp_bias", "use_sliding_window"}) {
                if (Boolean.TRUE.equals(m.get(flag))) throw new IllegalArgumentException("'" + flag + "' is true; the engine runs the architecture without it");
            }
            int hidden = HfCheckpoint.intOf(m, "hidden_size"), heads = HfCheckpoint.intOf(m, "num_attention_heads");
            int kvHeads = m.containsKey("num_key_value_heads") && m.get("num_key_value_heads") != null ? HfCheckpoint.intOf(m, "num_key_value_heads") : heads;
            int headDim = m.get("head_dim") != null ? HfCheckpoint.intOf(m, "head_dim") : hidden / Math.max(1, heads);
            if (m.get("head_dim") == null && hidden % heads != 0) throw new IllegalArgumentException("hidden_size does not divide into heads");
            boolean tied = Boolean.TRUE.equals(m.get("tie_word_embeddings"));
            return new LlamaConfig(arch, HfCheckpoint.intOf(m, "vocab_size"), hidden, HfCheckpoint.intOf(m, "intermediate_size"), HfCheckpoint.intOf(m, "num_hidden_layers"),
                    heads, kvHeads, headDim, HfCheckpoint.intOf(m, "max_position_embeddings"), (float) numberOf(m, "rms_norm_eps"),
                    numberOf(m, "rope_theta"), ropeScaling(m.get("rope_scaling")), arch == Architecture.QWEN3, tied);
        } catch (IllegalArgumentException | ClassCastException | ArithmeticException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    private static Map<?, ?> configJson(Path dir) throws IOException {
        Path file = dir.resolve(HfCheckpoint.CONFIG);
        if (!Files.isRegularFile(file)) throw new IOException(dir + " has no " + HfCheckpoint.CONFIG);
        return HfCheckpoint.jsonObject(file);
    }

    private static Architecture architecture(Map<?, ?> m) {
        if (!(m.get("architectures") instanceof List<?> names) || names.size() != 1) return null;
        for (Architecture a : Architecture.values()) if (a.hfName.equals(names.get(0))) return a;
        return null;
    }

    private static RopeScaling ropeScaling(Object value) {
        if (value == null) return null;
        if (!(value instanceof Map<?, ?> s)) throw new IllegalArgumentException("'rope_scaling' must be an object or null");
        Object type = s.get("rope_type") != null ? s.get("rope_type") : s.get("type");
        if (!"llama3".equals(type)) throw new IllegalArgumentException("rope_scaling type '" + type + "' is not run here (llama3 or none)");
        return new RopeScaling(numberOf(s, "factor"), numberOf(s, "low_freq_factor"), numberOf(s, "high_freq_factor"),
                HfCheckpoint.intOf(s, "original_max_position_embeddings"));
    }

    private static void require(Map<?, ?> m, String key, String value) {
        Object v = m.get(key);
        if (v != null && !value.equals(v)) throw new IllegalArgumentException("'" + key + "' is " + v + "; the engine runs " + value);
    }

    private static double numberOf(Map<?, ?> m, String key) {
        if (!(m.get(key) instanceof Number n) || !Double.isFinite(n.doubleValue())) throw new IllegalArgumentException("'" + key + "' must be a number");
        return n.doubleValue();
    }
}
