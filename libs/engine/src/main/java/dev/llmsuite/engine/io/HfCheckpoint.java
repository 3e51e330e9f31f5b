package dev.llmsuite.engine.io;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.io.torch.TorchCheckpointFile;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.ParameterLayout;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints in the Hugging Face GPT-2 layout: {@code config.json} plus {@code model.safetensors} with
 * GPT2LMHeadModel's tensor names ({@code transformer.h.N.attn.c_attn.weight}, …) and Conv1D's [in, out]
 * layout for the four projection matrices. A model saved here loads in transformers; a GPT-2 that a
 * user downloads loads here (names with or without the {@code transformer.} prefix), its weights in
 * {@code model.safetensors} or, in older uploads, PyTorch's {@code pytorch_model.bin} (read without
 * running its pickle: {@link TorchCheckpointFile}).
 */
public final class HfCheckpoint {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    /** The weights of older Hugging Face uploads, read when there is no model.safetensors. */
    public static final String TORCH_WEIGHTS = "pytorch_model.bin";
    private static final String PREFIX = "transformer.";

    private HfCheckpoint() {}

    /** Writes config.json and model.safetensors into dir (created if needed). */
    public static void save(GptModel model, Path dir) throws IOException {
        Files.createDirectories(dir);
        GptConfig c = model.config();
        float[] all = new float[(int) model.layout().totalSize()];
        model.backend().read(model.parameters(), 0, all, 0, all.length);
        Map<String, Safetensors.Data> tensors = new LinkedHashMap<>();
        for (ParameterLayout.Spec s : model.layout().specs()) {
            float[] v = Arrays.copyOfRange(all, (int) s.offset(), (int) (s.offset() + s.size()));
            String name = hfName(s.name());
            if (s.conv1d()) {
                tensors.put(name, Safetensors.Data.of(transpose(v, s.shape()[0], s.shape()[1]), s.shape()[1], s.shape()[0]));
            } else {
                tensors.put(name, Safetensors.Data.of(v, toLong(s.shape())));
            }
            if (s.name().endsWith("attn.c_attn.weight") && !c.qkvBias()) {
                // GPT-2 always has a qkv bias: a model without one is the same model with a zero bias.
                tensors.put(hfName(s.name().replace(".weight", ".bias")), Safetensors.Data.of(new float[3 * c.embeddingDim()], 3L * c.embeddingDim()));
            }
        }
        Safetensors.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
        writeAtomically(dir.resolve(CONFIG), Json.write(configJson(c)));
    }

    /**
     * A checkpoint directory as given, or for a training job's directory (no weights of its own, step-N
     * directories inside) its newest complete step: {@code work/checkpoints/demo} for whatever step the demo
     * reached. Anything else comes back unchanged, for the loader to say what is missing.
     */
    public static Path newestIn(Path dir) throws IOException {
        if (hasWeights(dir) || !Files.isDirectory(dir)) return dir;
        return stepsNewestFirst(dir).stream()
                .filter(p -> hasWeights(p) && Files.isRegularFile(p.resolve(CONFIG)))
                .findFirst().orElse(dir);
    }

    /** Whether dir holds weights in either file this layout uses. */
    public static boolean hasWeights(Path dir) {
        return Files.isRegularFile(dir.resolve(WEIGHTS)) || Files.isRegularFile(dir.resolve(TORCH_WEIGHTS));
    }

    /** The weights file of a directory: model.safetensors, else pytorch_model.bin. */
    static TensorFile openWeights(Path dir) throws IOException {
        if (!Files.isRegularFile(dir.resolve(WEIGHTS)) && Files.isRegularFile(dir.resolve(TORCH_WEIGHTS))) {
            return TorchCheckpointFile.open(dir.resolve(TORCH_WEIGHTS));
        }
        return Safetensors.open(dir.resolve(WEIGHTS));
    }

    /** A job's step-N directories, highest N first (by number: step-100 after step-99). */
    public static List<Path> stepsNewestFirst(Path jobDir) throws IOException {
        try (var s = Files.list(jobDir)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+"))
                    .sorted(Comparator.comparingLong((Path p) -> Long.parseLong(p.getFileName().toString().substring(5))).reversed())
                    .toList();
        }
    }

    /** Reads a checkpoint directory into a new model on the given backend. */
    public static GptModel load(ComputeBackend backend, Path dir) throws IOException {
        GptConfig c = readConfig(dir);
        try (TensorFile r = openWeights(dir)) {
            return load(backend, c, r, dir, CONFIG);
        }
    }

    /**
     * A model of configuration c from tensors named as in this layout (with or without the {@code transformer.}
     * prefix, Conv1D's [in, out] matrices): what other layouts rename theirs to. source and configFile name the files
     * in messages.
     */
    public static GptModel load(ComputeBackend backend, GptConfig c, TensorFile r, Path source, String configFile) throws IOException {
        boolean prefixed = r.shapes().keySet().stream().anyMatch(k -> k.startsWith(PREFIX));
        if (!c.qkvBias()) {
            // A zero qkv bias (as saved above) keeps the model without one.
            String bias = (prefixed ? PREFIX : "") + "h.0.attn.c_attn.bias";
            if (r.shapes().containsKey(bias)) {
                for (float f : r.floats(bias)) {
                    if (f != 0f) { c = c.withQkvBias(true); break; }
                }
            }
        }
        ParameterLayout layout = checkedLayout(c, r, prefixed, source, configFile);
        GptModel model = new GptModel(backend, c);
        try {
            for (ParameterLayout.Spec s : layout.specs()) {
                float[] v = r.floats(fileName(s, prefixed));
                if (s.conv1d()) v = transpose(v, s.shape()[1], s.shape()[0]);
                model.backend().write(model.parameters(), s.offset(), v, 0, v.length);
            }
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * The layout config.json implies, once every one of its tensors is in the file with that shape: checked
     * before anything is allocated, so a config.json that claims more than the weights hold (a huge context,
     * thousands of layers) fails here, not with an OutOfMemoryError.
     */
    private static ParameterLayout checkedLayout(GptConfig c, TensorFile r, boolean prefixed, Path dir, String configFile) throws IOException {
        // each block has a dozen tensors: a layer count beyond the file's tensors is refused before the layout is built
        if (c.layers() > r.shapes().size()) {
            throw new IOException(dir + ": " + configFile + " claims " + c.layers() + " layers, the weights hold " + r.shapes().size() + " tensors");
        }
        ParameterLayout layout = ParameterLayout.of(c);
        for (ParameterLayout.Spec s : layout.specs()) {
            String name = fileName(s, prefixed);
            long[] shape = r.shapes().get(name);
            if (shape == null) throw new IOException(dir + ": missing tensor " + name);
            long[] expected = s.conv1d() ? new long[] {s.shape()[1], s.shape()[0]} : toLong(s.shape());
            if (!Arrays.equals(shape, expected)) {
                throw new IOException(dir + ": " + name + " has shape " + Arrays.toString(shape)
                        + ", " + configFile + " implies " + Arrays.toString(expected));
            }
        }
        return layout;
    }

    private static String fileName(ParameterLayout.Spec s, boolean prefixed) {
        String name = hfName(s.name());
        return !prefixed && name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
    }

    public static GptConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        if (!Files.isRegularFile(file)) throw new IOException(dir + " has no " + CONFIG);
        Object parsed;
        try {
            parsed = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> m)) throw new IOException(file + " is not a JSON object");
        try {
            int v = intOf(m, "vocab_size"), t = intOf(m, "n_positions"), d = intOf(m, "n_embd");
            int heads = intOf(m, "n_head"), layers = intOf(m, "n_layer");
            double drop = m.get("resid_pdrop") instanceof Number n ? n.doubleValue() : 0.1;
            boolean tied = !(m.get("tie_word_embeddings") instanceof Boolean b) || b;
            boolean qkvBias = !(m.get("llm_suite_qkv_bias") instanceof Boolean b2) || b2;
            return new GptConfig(v, t, d, heads, layers, drop, qkvBias, tied);
        } catch (IllegalArgumentException | ClassCastException | ArithmeticException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    static Map<String, Object> configJson(GptConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of("GPT2LMHeadModel"));
        m.put("model_type", "gpt2");
        m.put("vocab_size", c.vocabSize());
        m.put("n_positions", c.contextLength());
        m.put("n_ctx", c.contextLength());
        m.put("n_embd", c.embeddingDim());
        m.put("n_layer", c.layers());
        m.put("n_head", c.heads());
        m.put("n_inner", null);
        m.put("activation_function", "gelu_new");
        m.put("resid_pdrop", c.dropRate());
        m.put("embd_pdrop", c.dropRate());
        m.put("attn_pdrop", c.dropRate());
        m.put("layer_norm_epsilon", 1e-5);
        m.put("initializer_range", 0.02);
        m.put("tie_word_embeddings", c.tiedOutputHead());
        m.put("bos_token_id", Gpt2.END_OF_TEXT);
        m.put("eos_token_id", Gpt2.END_OF_TEXT);
        m.put("llm_suite_qkv_bias", c.qkvBias());
        return m;
    }

    /** A config's integer field (JSON integers parse as Long), or an IllegalArgumentException naming it. */
    public static int intOf(Map<?, ?> m, String key) {
        if (!(m.get(key) instanceof Long l)) throw new IllegalArgumentException("'" + key + "' must be an integer");
        return Math.toIntExact(l);
    }

    /** A small JSON file beside the weights (config.json, hparams.json, tokenizer_config.json, …) as an object: at most 1 MiB. */
    public static Map<?, ?> jsonObject(Path file) throws IOException {
        if (Files.size(file) > 1 << 20) throw new IOException(file + " is over 1 MiB");
        try {
            if (Json.parse(Files.readString(file, StandardCharsets.UTF_8)) instanceof Map<?, ?> m) return m;
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
        throw new IOException(file + " is not a JSON object");
    }

    private static String hfName(String internal) {
        if (internal.equals("wte") || internal.equals("wpe")) return PREFIX + internal + ".weight";
        if (internal.startsWith("lm_head")) return internal;
        return PREFIX + internal;
    }

    /** [rows, cols] → [cols, rows]. */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] out = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
        return out;
    }

    private static long[] toLong(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return l;
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
