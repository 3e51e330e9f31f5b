package dev.llmsuite.engine.io.tf;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.TensorFile;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * GPT-2 as OpenAI released it, the directory the book's {@code download_and_load_gpt2} fetches ({@code gpt2/124M/}):
 * {@code hparams.json}, a TensorFlow checkpoint ({@code checkpoint} naming {@code model.ckpt}, read by
 * {@link TensorBundle}), and GPT-2's {@code encoder.json} and {@code vocab.bpe} (the tokenizer this suite already has).
 * The book's {@code load_weights_into_gpt} maps the variables; here they are renamed to the Hugging Face layout and
 * loaded by {@link HfCheckpoint}, whose Conv1D [in, out] matrices they already are:
 *
 * <pre>
 *   OpenAI (TensorFlow)                  shape            Hugging Face
 *   model/wte, model/wpe                 [V, C], [T, C]   wte.weight, wpe.weight
 *   model/hN/ln_1/g|b, ln_2/g|b          [C]              h.N.ln_1.weight|bias, h.N.ln_2.weight|bias
 *   model/hN/attn/c_attn/w|b             [1, C, 3C]|[3C]  h.N.attn.c_attn.weight|bias   (w: the leading 1 dropped)
 *   model/hN/attn/c_proj/w|b             [1, C, C]|[C]    h.N.attn.c_proj.weight|bias
 *   model/hN/mlp/c_fc/w|b                [1, C, 4C]|[4C]  h.N.mlp.c_fc.weight|bias
 *   model/hN/mlp/c_proj/w|b              [1, 4C, C]|[C]   h.N.mlp.c_proj.weight|bias
 *   model/ln_f/g|b                       [C]              ln_f.weight|bias
 * </pre>
 *
 * The output head is tied to wte, as in GPT-2. Only files inside the directory are read: the {@code checkpoint} file's
 * path is reduced to its file name.
 */
public final class OpenAiCheckpoint {
    public static final String HPARAMS = "hparams.json";
    static final String CHECKPOINT = "checkpoint";
    private static final Pattern BLOCK = Pattern.compile("model/h(0|[1-9]\\d{0,8})/(?:(ln_[12])/([gb])|(attn/c_attn|attn/c_proj|mlp/c_fc|mlp/c_proj)/([wb]))");
    private static final Pattern CHECKPOINT_PATH = Pattern.compile("(?m)^\\s*model_checkpoint_path:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*$");

    private OpenAiCheckpoint() {}

    /** Whether dir looks like one: an hparams.json and no config.json. */
    public static boolean isOne(Path dir) {
        return Files.isRegularFile(dir.resolve(HPARAMS)) && !Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG));
    }

    public static GptModel load(ComputeBackend backend, Path dir) throws IOException {
        GptConfig c = readConfig(dir);
        try (TensorFile weights = open(dir)) {
            return HfCheckpoint.load(backend, c, weights, dir, HPARAMS);
        }
    }

    /** The checkpoint's variables under their Hugging Face names (those that have one); the rest are left out. */
    public static TensorFile open(Path dir) throws IOException {
        TensorBundle bundle = TensorBundle.open(prefix(dir));
        Map<String, String> hfToTf = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (var e : bundle.shapes().entrySet()) {
            String hf = hfName(e.getKey());
            if (hf == null) continue;
            long[] shape = e.getValue();
            if (e.getKey().endsWith("/w") && shape.length == 3 && shape[0] == 1) shape = new long[] {shape[1], shape[2]};
            hfToTf.put(hf, e.getKey());
            shapes.put(hf, shape);
        }
        Map<String, long[]> view = Collections.unmodifiableMap(shapes);
        return new TensorFile() {
            @Override public Map<String, long[]> shapes() { return view; }

            @Override public float[] floats(String name) throws IOException {
                String tf = hfToTf.get(name);
                if (tf == null) throw new IOException(dir + " has no variable for " + name);
                return bundle.floats(tf);
            }

            @Override public void close() throws IOException { bundle.close(); }
        };
    }

    /** hparams.json's n_vocab, n_ctx, n_embd, n_head, n_layer; GPT-2's qkv bias and tied head. */
    public static GptConfig readConfig(Path dir) throws IOException {
        Path file = dir.resolve(HPARAMS);
        if (!Files.isRegularFile(file)) throw new IOException(dir + " has no " + HPARAMS);
        Map<?, ?> m = HfCheckpoint.jsonObject(file);
        try {
            return new GptConfig(HfCheckpoint.intOf(m, "n_vocab"), HfCheckpoint.intOf(m, "n_ctx"), HfCheckpoint.intOf(m, "n_embd"),
                    HfCheckpoint.intOf(m, "n_head"), HfCheckpoint.intOf(m, "n_layer"),
                    0.1, true, true);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    /**
     * The checkpoint's path without ".index": the {@code checkpoint} file's model_checkpoint_path (its file name, in
     * this directory), else the directory's only *.index.
     */
    static Path prefix(Path dir) throws IOException {
        Path pointer = dir.resolve(CHECKPOINT);
        if (Files.isRegularFile(pointer)) {
            if (Files.size(pointer) > 1 << 20) throw new IOException(pointer + " is over 1 MiB");
            Matcher m = CHECKPOINT_PATH.matcher(Files.readString(pointer, StandardCharsets.UTF_8));
            if (!m.find()) throw new IOException(pointer + " names no model_checkpoint_path");
            String path = m.group(1).replaceAll("\\\\(.)", "$1"); // the text format's escapes, \\ and \"
            String name = path.substring(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
            if (name.isEmpty() || name.equals(".") || name.equals("..") || name.length() > 255) {
                throw new IOException(pointer + " names '" + path + "', not a checkpoint in " + dir);
            }
            return dir.resolve(name);
        }
        List<Path> indexes = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().endsWith(".index") && Files.isRegularFile(p)).sorted().forEach(indexes::add);
        }
        if (indexes.size() != 1) {
            throw new IOException(dir + " holds " + indexes.size() + " checkpoint indexes " + indexes.stream().map(Path::getFileName).toList()
                    + " and no '" + CHECKPOINT + "' file to say which to read");
        }
        String index = indexes.get(0).getFileName().toString();
        return dir.resolve(index.substring(0, index.length() - ".index".length()));
    }

    /** OpenAI's name → Hugging Face's (unprefixed), or null for a variable GPT-2 does not have. */
    static String hfName(String tf) {
        switch (tf) {
            case "model/wte": return "wte.weight";
            case "model/wpe": return "wpe.weight";
            case "model/ln_f/g": return "ln_f.weight";
            case "model/ln_f/b": return "ln_f.bias";
            default:
        }
        Matcher m = BLOCK.matcher(tf);
        if (!m.matches()) return null;
        String part = m.group(2) != null ? m.group(2) : m.group(4).replace('/', '.');
        String kind = m.group(2) != null ? m.group(3) : m.group(5);
        return "h." + m.group(1) + "." + part + "." + (kind.equals("b") ? "bias" : "weight");
    }
}
