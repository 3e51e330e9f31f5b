package dev.llmsuite.engine.io.gguf;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.io.gguf.GgufFile.TensorInfo;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import dev.llmsuite.engine.model.llama.LlamaConfig.RopeScaling;
import dev.llmsuite.engine.model.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama 3 and Qwen3 in GGUF, as llama.cpp's converter writes them (architectures {@code llama} and {@code qwen3}):
 *
 * <pre>
 *   Hugging Face (LlamaCheckpoint)                      GGUF tensor
 *   model.embed_tokens.weight [V, H]                    token_embd.weight
 *   model.layers.N.input_layernorm.weight [H]           blk.N.attn_norm.weight
 *   model.layers.N.self_attn.q_proj [NH·D, H]           blk.N.attn_q.weight       llama: each head's rows permuted
 *   model.layers.N.self_attn.k_proj [NKV·D, H]          blk.N.attn_k.weight       llama: the same
 *   model.layers.N.self_attn.v_proj, o_proj             blk.N.attn_v.weight, attn_output.weight
 *   model.layers.N.self_attn.q_norm, k_norm [D]         blk.N.attn_q_norm.weight, attn_k_norm.weight  (qwen3)
 *   model.layers.N.post_attention_layernorm [H]         blk.N.ffn_norm.weight
 *   model.layers.N.mlp.gate_proj, up_proj, down_proj    blk.N.ffn_gate.weight, ffn_up.weight, ffn_down.weight
 *   model.norm.weight [H]                               output_norm.weight
 *   lm_head.weight [V, H], untied models only           output.weight             (absent: the head is token_embd)
 *   Llama 3's rope scaling                              rope_freqs.weight [D/2]   each frequency's divisor
 * </pre>
 *
 * Keys under the architecture's name: context_length, embedding_length, block_count, feed_forward_length,
 * attention.head_count, attention.head_count_kv, attention.key_length and value_length (D), rope.dimension_count,
 * rope.freq_base, attention.layer_norm_rms_epsilon, vocab_size.
 *
 * <p><b>The permutation.</b> llama.cpp's {@code llama} rotates adjacent pairs (x₂ᵢ, x₂ᵢ₊₁); the Hugging Face layout
 * rotates halves (xᵢ, xᵢ₊D/2). So the converter reorders each query and key head's rows: GGUF row 2i + c of a head is
 * Hugging Face row c·D/2 + i (c ∈ {0, 1}). Qwen3 rotates halves in llama.cpp as well: nothing is permuted.
 *
 * <p><b>rope_freqs.</b> Llama 3.1's scaling has no keys; the converter stores, per frequency, what llama.cpp divides
 * it by (1 kept, the factor for long wavelengths, a blend between). Read back, the divisors are turned into the
 * {@code rope_scaling} parameters that give the same frequencies ({@link #scalingOf}), or refused.
 *
 * <p>Over 250 lines because the mapping is read and written here side by side (as GgufCheckpoint does GPT-2's),
 * with the two transforms each way: the permutation and the rope divisors.
 */
public final class LlamaGguf {
    /** The original context assumed for rope scaling read from divisors (only ratios to it matter; Llama 3's). */
    static final int ASSUMED_ORIGINAL_CONTEXT = 8192;

    private LlamaGguf() {}

    /** The GGUF architecture name of a config. */
    public static String architecture(LlamaConfig c) {
        return c.architecture() == Architecture.QWEN3 ? "qwen3" : "llama";
    }

    /** Whether a GGUF file holds one of the architectures read here. */
    public static boolean isOne(GgufFile f) {
        GgufValue arch = f.get("general.architecture");
        return arch != null && arch.type() == GgufValue.Type.STRING && (arch.value().equals("llama") || arch.value().equals("qwen3"));
    }

    /** Writes the model to file: matrices in weights, 1-D tensors (norms, rope_freqs) F32; the tokenizer when given. */
    public static void save(LlamaModel model, String name, GgmlType weights, GgufVocabulary vocabulary, Path file) throws IOException {
        LlamaConfig c = model.config();
        String arch = architecture(c);
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.string(arch));
        meta.put("general.name", GgufValue.string(name));
        meta.put("general.file_type", GgufValue.uint32(GgufCheckpoint.FILE_TYPE.get(weights)));
        meta.put(arch + ".context_length", GgufValue.uint32(c.contextLength()));
        meta.put(arch + ".embedding_length", GgufValue.uint32(c.hidden()));
        meta.put(arch + ".block_count", GgufValue.uint32(c.layers()));
        meta.put(arch + ".feed_forward_length", GgufValue.uint32(c.intermediate()));
        meta.put(arch + ".attention.head_count", GgufValue.uint32(c.heads()));
        meta.put(arch + ".attention.head_count_kv", GgufValue.uint32(c.kvHeads()));
        meta.put(arch + ".attention.key_length", GgufValue.uint32(c.headDim()));
        meta.put(arch + ".attention.value_length", GgufValue.uint32(c.headDim()));
        meta.put(arch + ".rope.dimension_count", GgufValue.uint32(c.headDim()));
        meta.put(arch + ".rope.freq_base", GgufValue.float32(c.ropeTheta()));
        meta.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.float32(c.rmsNormEps()));
        meta.put(arch + ".vocab_size", GgufValue.uint32(c.vocabSize()));
        if (vocabulary != null) vocabulary.writeTo(meta);
        Map<String, long[]> shapes = LlamaCheckpoint.expectedShapes(c);
        Map<String, Tensor> byName = LlamaCheckpoint.byName(c, model.embedding(), model.layers(), model.finalNorm(), model.head());
        List<GgufWriter.Tensor> tensors = new ArrayList<>();
        for (var e : byName.entrySet()) {
            long[] shape = shapes.get(e.getKey());
            float[] values = new float[Math.toIntExact(elements(shape))];
            model.backend().read(e.getValue(), 0, values, 0, values.length);
            String gguf = ggufName(e.getKey());
            if (permuted(c, gguf)) values = permuteRows(values, shape, c.headDim(), true);
            tensors.add(tensor(gguf, shape, values, weights));
        }
        if (c.ropeScaling() != null) tensors.add(tensor("rope_freqs.weight", new long[] {c.headDim() / 2}, divisors(c), weights));
        GgufWriter.write(file, meta, tensors);
    }

    /** The configuration a llama or qwen3 file implies, every tensor it needs checked present with its shape. */
    public static LlamaConfig readConfig(GgufFile f) throws IOException {
        String arch = f.require("general.architecture").asString("general.architecture");
        Architecture architecture = switch (arch) {
            case "llama" -> Architecture.LLAMA;
            case "qwen3" -> Architecture.QWEN3;
            default -> throw new IOException(f.path() + ": architecture '" + arch + "'; read here: llama, qwen3");
        };
        try {
            for (String unsupported : new String[] {".expert_count", ".attention.sliding_window", ".rope.scaling.type"}) {
                GgufValue v = f.get(arch + unsupported);
                if (v != null && !(unsupported.equals(".rope.scaling.type") && "none".equals(v.value()))
                        && !(v.value() instanceof Long n && n == 0)) {
                    throw new IOException(f.path() + ": " + arch + unsupported + " is set; the engine runs the architecture without it");
                }
            }
            for (String name : f.tensors().keySet()) {
                if (name.endsWith(".bias")) throw new IOException(f.path() + ": " + name + ": the engine runs the architecture without biases");
            }
            int hidden = intKey(f, arch, "embedding_length"), heads = intKey(f, arch, "attention.head_count");
            int kvHeads = f.get(arch + ".attention.head_count_kv") != null ? intKey(f, arch, "attention.head_count_kv") : heads;
            // llama.cpp: the head size is key_length, else hidden / heads; the rotation covers rope.dimension_count of it
            int headDim = f.get(arch + ".attention.key_length") != null ? intKey(f, arch, "attention.key_length") : hidden / Math.max(1, heads);
            if (f.get(arch + ".attention.value_length") != null && intKey(f, arch, "attention.value_length") != headDim) {
                throw new IOException(f.path() + ": value_length differs from key_length; the engine's heads have one size");
            }
            if (f.get(arch + ".rope.dimension_count") != null && intKey(f, arch, "rope.dimension_count") != headDim) {
                throw new IOException(f.path() + ": rope.dimension_count differs from the head size: partial rotation is not run here");
            }
            int layers = intKey(f, arch, "block_count");
            if (layers > f.tensors().size()) throw new IOException(f.path() + ": " + layers + " blocks claimed, " + f.tensors().size() + " tensors held");
            TensorInfo embeddings = f.tensors().get("token_embd.weight");
            if (embeddings == null || embeddings.dims().length != 2) throw new IOException(f.path() + ": no 2-D token_embd.weight");
            double theta = f.require(arch + ".rope.freq_base").asDouble(arch + ".rope.freq_base");
            double eps = f.require(arch + ".attention.layer_norm_rms_epsilon").asDouble(arch + ".attention.layer_norm_rms_epsilon");
            LlamaConfig plain = new LlamaConfig(architecture, Math.toIntExact(embeddings.dims()[1]), hidden, intKey(f, arch, "feed_forward_length"),
                    layers, heads, kvHeads, headDim, intKey(f, arch, "context_length"), (float) eps, theta, null,
                    architecture == Architecture.QWEN3, !f.tensors().containsKey("output.weight"));
            LlamaConfig c = plain;
            if (f.tensors().containsKey("rope_freqs.weight")) {
                if (architecture != Architecture.LLAMA) throw new IOException(f.path() + ": rope_freqs.weight in a " + arch + " file");
                GgufCheckpoint.requireShape(f, "rope_freqs.weight", new int[] {headDim / 2});
                c = withScaling(plain, scalingOf(f.floats("rope_freqs.weight"), plain, f.path()));
            }
            for (var e : LlamaCheckpoint.expectedShapes(c).entrySet()) {
                long[] shape = e.getValue();
                int[] dims = new int[shape.length];
                for (int i = 0; i < shape.length; i++) dims[i] = Math.toIntExact(shape[i]);
                GgufCheckpoint.requireShape(f, ggufName(e.getKey()), dims);
            }
            return c;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(f.path() + ": " + e.getMessage(), e);
        }
    }

    /** Reads a llama or qwen3 GGUF file into a new model on the backend (weights dequantized to fp32). */
    public static LlamaModel load(ComputeBackend backend, Path file) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            LlamaConfig c = readConfig(f);
            Map<String, long[]> shapes = LlamaCheckpoint.expectedShapes(c);
            Map<String, Tensor> loaded = new LinkedHashMap<>();
            try {
                for (var e : shapes.entrySet()) {
                    String gguf = ggufName(e.getKey());
                    float[] values = f.floats(gguf);
                    if (permuted(c, gguf)) values = permuteRows(values, e.getValue(), c.headDim(), false);
                    Tensor t = backend.allocate(values.length);
                    loaded.put(e.getKey(), t);
                    backend.write(t, 0, values, 0, values.length);
                }
                List<LlamaModel.Layer> layers = new ArrayList<>();
                for (int n = 0; n < c.layers(); n++) {
                    String p = "model.layers." + n + ".";
                    layers.add(new LlamaModel.Layer(loaded.get(p + "input_layernorm.weight"), loaded.get(p + "self_attn.q_proj.weight"),
                            loaded.get(p + "self_attn.k_proj.weight"), loaded.get(p + "self_attn.v_proj.weight"), loaded.get(p + "self_attn.o_proj.weight"),
                            loaded.get(p + "self_attn.q_norm.weight"), loaded.get(p + "self_attn.k_norm.weight"),
                            loaded.get(p + "post_attention_layernorm.weight"), loaded.get(p + "mlp.gate_proj.weight"),
                            loaded.get(p + "mlp.up_proj.weight"), loaded.get(p + "mlp.down_proj.weight")));
                }
                Tensor embed = loaded.get("model.embed_tokens.weight");
                Tensor head = c.tiedEmbeddings() ? embed : loaded.get("lm_head.weight");
                return new LlamaModel(backend, c, embed, layers, loaded.get("model.norm.weight"), head);
            } catch (IOException | RuntimeException e) {
                for (Tensor t : loaded.values()) backend.release(t);
                throw e;
            }
        }
    }

    /** A Hugging Face tensor name's GGUF name. */
    static String ggufName(String hf) {
        switch (hf) {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
            default: break;
        }
        if (!hf.startsWith("model.layers.")) throw new IllegalArgumentException("no GGUF name for " + hf);
        String rest = hf.substring("model.layers.".length());
        int dot = rest.indexOf('.');
        String gguf = switch (rest.substring(dot + 1)) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "self_attn.q_proj.weight" -> "attn_q.weight";
            case "self_attn.k_proj.weight" -> "attn_k.weight";
            case "self_attn.v_proj.weight" -> "attn_v.weight";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            case "self_attn.q_norm.weight" -> "attn_q_norm.weight";
            case "self_attn.k_norm.weight" -> "attn_k_norm.weight";
            case "post_attention_layernorm.weight" -> "ffn_norm.weight";
            case "mlp.gate_proj.weight" -> "ffn_gate.weight";
            case "mlp.up_proj.weight" -> "ffn_up.weight";
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            default -> throw new IllegalArgumentException("no GGUF name for " + hf);
        };
        return "blk." + rest.substring(0, dot) + "." + gguf;
    }

    private static boolean permuted(LlamaConfig c, String gguf) {
        return c.architecture() == Architecture.LLAMA && (gguf.endsWith(".attn_q.weight") || gguf.endsWith(".attn_k.weight"));
    }

    /**
     * Each head's rows between the layouts: toGguf, row c·D/2 + i of a head goes to row 2i + c; back, the reverse.
     * shape is [heads · D, H].
     */
    static float[] permuteRows(float[] w, long[] shape, int headDim, boolean toGguf) {
        int rows = Math.toIntExact(shape[0]), cols = Math.toIntExact(shape[1]), half = headDim / 2;
        float[] out = new float[w.length];
        for (int head = 0; head < rows / headDim; head++) {
            for (int c = 0; c < 2; c++) {
                for (int i = 0; i < half; i++) {
                    int hf = head * headDim + c * half + i, gguf = head * headDim + 2 * i + c;
                    int from = toGguf ? hf : gguf, to = toGguf ? gguf : hf;
                    System.arraycopy(w, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }

    /** What llama.cpp divides each frequency by, computed as its converter computes it (float32 frequencies). */
    static float[] divisors(LlamaConfig c) {
        RopeScaling s = c.ropeScaling();
        int dim = c.headDim();
        float[] out = new float[dim / 2];
        double lowWavelength = s.originalContext() / s.lowFreqFactor(), highWavelength = s.originalContext() / s.highFreqFactor();
        for (int i = 0; i < out.length; i++) {
            float freq = 1.0f / (float) Math.pow(c.ropeTheta(), (float) (2 * i) / dim);
            double wavelength = 2 * Math.PI / freq;
            if (wavelength < highWavelength) out[i] = 1;
            else if (wavelength > lowWavelength) out[i] = (float) s.factor();
            else {
                double smooth = (s.originalContext() / wavelength - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                out[i] = (float) (1 / ((1 - smooth) / s.factor() + smooth));
            }
        }
        return out;
    }

    /**
     * Llama 3's scaling parameters that give the frequencies the divisors give: the largest divisor is the factor;
     * a blended frequency's divisor 1/((1 − s)/factor + s) gives s, which is linear in 1/wavelength between the two
     * wavelength bounds, so two blended frequencies fix both bounds (fewer: any bounds between the neighbours do).
     * The original context is taken as 8,192; low and high factors are the bounds relative to it. Checked by
     * recomputing every frequency; refused when they differ.
     */
    static RopeScaling scalingOf(float[] divisors, LlamaConfig plain, Path file) throws IOException {
        float[] base = plain.inverseFrequencies();
        double factor = 1;
        for (float d : divisors) {
            if (!(d >= 1 && d < 1e6)) throw new IOException(file + ": rope_freqs.weight holds " + d + " (divisors are >= 1)");
            factor = Math.max(factor, d);
        }
        if (factor == 1) return null;
        // u = 1 / wavelength per class; s(u) = a·u + b on blended ones
        double maxDividedU = 0, minKeptU = Double.POSITIVE_INFINITY;
        List<double[]> blended = new ArrayList<>(); // {u, s}
        for (int i = 0; i < divisors.length; i++) {
            double u = base[i] / (2 * Math.PI);
            if (divisors[i] == 1) minKeptU = Math.min(minKeptU, u);
            else if (Math.abs(divisors[i] - factor) <= 1e-6 * factor) maxDividedU = Math.max(maxDividedU, u);
            else blended.add(new double[] {u, (1 / divisors[i] - 1 / factor) / (1 - 1 / factor)});
        }
        double lowU, highU; // 1/low wavelength bound (below it: divided), 1/high bound (above it: kept)
        if (blended.size() >= 2) {
            double[] p = blended.getFirst(), q = blended.getLast();
            double a = (q[1] - p[1]) / (q[0] - p[0]), b = p[1] - a * p[0];
            lowU = -b / a;
            highU = (1 - b) / a;
        } else if (blended.size() == 1) {
            double u = blended.getFirst()[0], s = blended.getFirst()[1];
            lowU = u - (u - maxDividedU) / 2;
            highU = lowU + (u - lowU) / s;
            while (highU >= minKeptU && u - lowU > 1e-12 * u) { // move the low bound up until the kept ones stay kept
                lowU = u - (u - lowU) / 2;
                highU = lowU + (u - lowU) / s;
            }
        } else {
            lowU = maxDividedU + (minKeptU - maxDividedU) / 3;
            highU = maxDividedU + 2 * (Math.min(minKeptU, 1e300) - maxDividedU) / 3;
        }
        RopeScaling scaling;
        try {
            scaling = new RopeScaling(factor, ASSUMED_ORIGINAL_CONTEXT * lowU, ASSUMED_ORIGINAL_CONTEXT * highU, ASSUMED_ORIGINAL_CONTEXT);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": rope_freqs.weight is not Llama 3's frequency scaling (" + e.getMessage() + ")");
        }
        float[] scaled = withScaling(plain, scaling).inverseFrequencies();
        for (int i = 0; i < divisors.length; i++) {
            double expected = base[i] / divisors[i];
            if (Math.abs(scaled[i] - expected) > 1e-5 * expected) {
                throw new IOException(file + ": rope_freqs.weight is not Llama 3's frequency scaling (frequency " + i + ")");
            }
        }
        return scaling;
    }

    private static LlamaConfig withScaling(LlamaConfig c, RopeScaling s) {
        return new LlamaConfig(c.architecture(), c.vocabSize(), c.hidden(), c.intermediate(), c.layers(), c.heads(), c.kvHeads(),
                c.headDim(), c.contextLength(), c.rmsNormEps(), c.ropeTheta(), s, c.qkNorm(), c.tiedEmbeddings());
    }

    private static GgufWriter.Tensor tensor(String name, long[] shape, float[] data, GgmlType weights) {
        long[] dims = new long[shape.length]; // ggml's ne: fastest-varying first
        for (int i = 0; i < shape.length; i++) dims[i] = shape[shape.length - 1 - i];
        boolean keepF32 = shape.length == 1 || dims[0] % weights.blockElements != 0;
        return new GgufWriter.Tensor(name, dims, keepF32 ? GgmlType.F32 : weights, data);
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    private static int intKey(GgufFile f, String arch, String k) throws IOException {
        return Math.toIntExact(f.require(arch + "." + k).asLong(arch + "." + k));
    }
}
