package dev.llmsuite.engine.io.gguf;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.io.gguf.GgufFile.TensorInfo;
import dev.llmsuite.engine.io.gguf.GgufValue.Type;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.ParameterLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 in GGUF as llama.cpp's {@code gpt2} architecture names it (what its convert_hf_to_gguf.py writes):
 *
 * <pre>
 *   engine (shape as stored, [out, in])     GGUF tensor                     ggml ne (ne[0] first)
 *   wte [V, C]                               token_embd.weight               [C, V]
 *   wpe [T, C]                               position_embd.weight            [C, T]   always F32
 *   h.N.ln_1.weight|bias [C]                 blk.N.attn_norm.weight|bias     [C]      1-D: always F32
 *   h.N.attn.c_attn.weight [3C, C] | bias    blk.N.attn_qkv.weight|bias      [C, 3C]
 *   h.N.attn.c_proj.weight [C, C] | bias     blk.N.attn_output.weight|bias   [C, C]
 *   h.N.ln_2.weight|bias [C]                 blk.N.ffn_norm.weight|bias      [C]
 *   h.N.mlp.c_fc.weight [4C, C] | bias       blk.N.ffn_up.weight|bias        [C, 4C]
 *   h.N.mlp.c_proj.weight [C, 4C] | bias     blk.N.ffn_down.weight|bias      [4C, C]
 *   ln_f.weight|bias [C]                     output_norm.weight|bias         [C]
 *   lm_head.weight [V, C], or wte if tied    output.weight                   [C, V]   llama.cpp requires it
 * </pre>
 *
 * The engine's [out, in] rows are ggml's rows, so no tensor is transposed. A tied model is written with output.weight a
 * copy of token_embd.weight and read back tied when the two decode to the same floats; a model without a qkv bias is
 * written with a zero one (llama.cpp requires it) and read back without it when the file's is all zeros.
 */
public final class GgufCheckpoint {
    public static final String ARCHITECTURE = "gpt2";
    static final double LAYER_NORM_EPS = 1e-5;
    /** general.file_type: llama.cpp's LLAMA_FTYPE for the type most tensors have. */
    static final Map<GgmlType, Long> FILE_TYPE = Map.of(GgmlType.F32, 0L, GgmlType.F16, 1L, GgmlType.Q8_0, 7L, GgmlType.BF16, 32L);

    private GgufCheckpoint() {}

    /** Writes the model to file, its matrices in weights (1-D tensors and position embeddings stay F32). */
    public static void save(GptModel model, String name, GgmlType weights, GgufVocabulary vocabulary, Path file) throws IOException {
        GptConfig c = model.config();
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.string(ARCHITECTURE));
        meta.put("general.name", GgufValue.string(name));
        meta.put("general.file_type", GgufValue.uint32(FILE_TYPE.get(weights)));
        meta.put(key("context_length"), GgufValue.uint32(c.contextLength()));
        meta.put(key("embedding_length"), GgufValue.uint32(c.embeddingDim()));
        meta.put(key("feed_forward_length"), GgufValue.uint32(4L * c.embeddingDim()));
        meta.put(key("block_count"), GgufValue.uint32(c.layers()));
        meta.put(key("attention.head_count"), GgufValue.uint32(c.heads()));
        meta.put(key("attention.layer_norm_epsilon"), GgufValue.float32(LAYER_NORM_EPS));
        if (vocabulary != null) vocabulary.writeTo(meta);
        float[] all = new float[Math.toIntExact(model.layout().totalSize())];
        model.backend().read(model.parameters(), 0, all, 0, all.length);
        List<GgufWriter.Tensor> tensors = new ArrayList<>();
        for (ParameterLayout.Spec s : model.layout().specs()) {
            float[] v = Arrays.copyOfRange(all, (int) s.offset(), (int) (s.offset() + s.size()));
            tensors.add(tensor(ggufName(s.name()), s.shape(), v, weights));
            if (s.name().endsWith("attn.c_attn.weight") && !c.qkvBias()) {
                tensors.add(tensor(ggufName(s.name().replace(".weight", ".bias")), new int[] {3 * c.embeddingDim()}, new float[3 * c.embeddingDim()], weights));
            }
            if (s.name().equals("wte") && c.tiedOutputHead()) tensors.add(tensor("output.weight", s.shape(), v, weights));
        }
        GgufWriter.write(file, meta, tensors);
    }

    private static GgufWriter.Tensor tensor(String name, int[] shape, float[] data, GgmlType weights) {
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) dims[i] = shape[shape.length - 1 - i];
        boolean keepF32 = shape.length == 1 || name.equals("position_embd.weight") || dims[0] % weights.blockElements != 0;
        return new GgufWriter.Tensor(name, dims, keepF32 ? GgmlType.F32 : weights, data);
    }

    /** The configuration a gpt2 GGUF file implies, every tensor it needs checked present with its shape. */
    public static GptConfig readConfig(GgufFile f) throws IOException {
        String arch = f.require("general.architecture").asString("general.architecture");
        if (!arch.equals(ARCHITECTURE)) throw new IOException(f.path() + ": architecture '" + arch + "'; this suite runs '" + ARCHITECTURE + "'");
        try {
            int t = intKey(f, "context_length"), d = intKey(f, "embedding_length"), layers = intKey(f, "block_count");
            int heads = intKey(f, "attention.head_count"), ff = intKey(f, "feed_forward_length");
            double eps = f.require(key("attention.layer_norm_epsilon")).asDouble(key("attention.layer_norm_epsilon"));
            if (ff != 4 * d) throw new IOException(f.path() + ": feed_forward_length " + ff + ", the engine's GPT-2 has 4 × " + d);
            if (Math.abs(eps - LAYER_NORM_EPS) > 1e-9) throw new IOException(f.path() + ": layer_norm_epsilon " + eps + ", the engine's GPT-2 uses 1e-5");
            if (layers > f.tensors().size()) throw new IOException(f.path() + ": " + layers + " blocks claimed, " + f.tensors().size() + " tensors held");
            TensorInfo embeddings = f.tensors().get("token_embd.weight");
            if (embeddings == null || embeddings.dims().length != 2) throw new IOException(f.path() + ": no 2-D token_embd.weight");
            int v = Math.toIntExact(embeddings.dims()[1]);
            GptConfig c = new GptConfig(v, t, d, heads, layers, 0.1, true, !f.tensors().containsKey("output.weight"));
            for (ParameterLayout.Spec s : ParameterLayout.of(c).specs()) requireShape(f, ggufName(s.name()), s.shape());
            return c;
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(f.path() + ": " + e.getMessage(), e);
        }
    }

    /** Reads a gpt2 GGUF file into a new model on the backend (weights dequantized to fp32). */
    public static GptModel load(ComputeBackend backend, Path file) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            GptConfig c = readConfig(f); // output.weight, when there, checked [V, C] with the rest
            float[] embeddings = f.floats("token_embd.weight");
            float[] output = f.tensors().containsKey("output.weight") ? f.floats("output.weight") : null;
            boolean tied = output == null || Arrays.equals(output, embeddings);
            boolean qkvBias = false;
            for (int l = 0; l < c.layers() && !qkvBias; l++) {
                for (float x : f.floats("blk." + l + ".attn_qkv.bias")) if (x != 0f) { qkvBias = true; break; }
            }
            c = c.withTiedOutputHead(tied).withQkvBias(qkvBias);
            GptModel model = new GptModel(backend, c);
            for (ParameterLayout.Spec s : model.layout().specs()) {
                float[] v = switch (s.name()) { // the two big ones were read above: not decoded twice
                    case "wte" -> embeddings;
                    case "lm_head.weight" -> output;
                    default -> f.floats(ggufName(s.name()));
                };
                model.backend().write(model.parameters(), s.offset(), v, 0, v.length);
            }
            return model;
        }
    }

    /** The tokenizer the file carries, or null if it has none. */
    public static GgufVocabulary readVocabulary(GgufFile f) throws IOException {
        GgufValue tokens = f.get("tokenizer.ggml.tokens");
        if (tokens == null) return null;
        try {
            List<String> names = tokens.asList("tokenizer.ggml.tokens", Type.STRING, String.class);
            GgufValue types = f.get("tokenizer.ggml.token_type");
            List<Long> typeList = types == null ? Collections.nCopies(names.size(), GgufVocabulary.NORMAL) : types.asList("tokenizer.ggml.token_type", Type.INT32, Long.class);
            GgufValue merges = f.get("tokenizer.ggml.merges");
            return new GgufVocabulary(f.require("tokenizer.ggml.model").asString("tokenizer.ggml.model"),
                    f.get("tokenizer.ggml.pre") == null ? "default" : f.get("tokenizer.ggml.pre").asString("tokenizer.ggml.pre"),
                    names, typeList, merges == null ? List.of() : merges.asList("tokenizer.ggml.merges", Type.STRING, String.class),
                    f.require("tokenizer.ggml.bos_token_id").asLong("tokenizer.ggml.bos_token_id"),
                    f.require("tokenizer.ggml.eos_token_id").asLong("tokenizer.ggml.eos_token_id"),
                    f.get("tokenizer.ggml.add_bos_token") != null && Boolean.TRUE.equals(f.get("tokenizer.ggml.add_bos_token").value()),
                    f.get("tokenizer.chat_template") == null ? null : f.get("tokenizer.chat_template").asString("tokenizer.chat_template"));
        } catch (IllegalArgumentException e) {
            throw new IOException(f.path() + ": " + e.getMessage(), e);
        }
    }

    static void requireShape(GgufFile f, String name, int[] shape) throws IOException {
        TensorInfo t = f.tensors().get(name);
        if (t == null) throw new IOException(f.path() + ": missing tensor " + name);
        long[] expected = new long[shape.length];
        for (int i = 0; i < shape.length; i++) expected[i] = shape[i];
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IOException(f.path() + ": " + name + " has shape " + Arrays.toString(t.shape()) + ", the header implies " + Arrays.toString(expected));
        }
        if (t.type() == null) throw new IOException(f.path() + ": " + name + " is ggml type " + t.typeId() + "; this suite reads f32, f16, bf16, q8_0, q4_k, q5_k and q6_k");
    }

    private static int intKey(GgufFile f, String k) throws IOException {
        return Math.toIntExact(f.require(key(k)).asLong(key(k)));
    }

    private static String key(String k) { return ARCHITECTURE + "." + k; }

    /** The engine's parameter name → llama.cpp's tensor name. */
    static String ggufName(String internal) {
        switch (internal) {
            case "wte": return "token_embd.weight";
            case "wpe": return "position_embd.weight";
            case "ln_f.weight": return "output_norm.weight";
            case "ln_f.bias": return "output_norm.bias";
            case "lm_head.weight": return "output.weight";
            default: break;
        }
        String[] p = internal.split("\\.", 3); // h, N, rest
        String rest = switch (p[2]) {
            case "ln_1.weight" -> "attn_norm.weight";
            case "ln_1.bias" -> "attn_norm.bias";
            case "attn.c_attn.weight" -> "attn_qkv.weight";
            case "attn.c_attn.bias" -> "attn_qkv.bias";
            case "attn.c_proj.weight" -> "attn_output.weight";
            case "attn.c_proj.bias" -> "attn_output.bias";
            case "ln_2.weight" -> "ffn_norm.weight";
            case "ln_2.bias" -> "ffn_norm.bias";
            case "mlp.c_fc.weight" -> "ffn_up.weight";
            case "mlp.c_fc.bias" -> "ffn_up.bias";
            case "mlp.c_proj.weight" -> "ffn_down.weight";
            case "mlp.c_proj.bias" -> "ffn_down.bias";
            default -> throw new IllegalArgumentException("no GGUF name for " + internal);
        };
        return "blk." + p[1] + "." + rest;
    }
}
