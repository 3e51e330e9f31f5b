package dev.llmsuite.cli;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.io.gguf.GgmlType;
import dev.llmsuite.engine.io.gguf.GgufCheckpoint;
import dev.llmsuite.engine.io.gguf.GgufFile;
import dev.llmsuite.engine.io.gguf.GgufVocabulary;
import dev.llmsuite.engine.io.gguf.LlamaGguf;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.Json;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./llm convert IN OUT --to hf|gguf}: one model between the formats the suite reads (docs/models.md). GGUF
 * output carries GPT-2's tokenizer so llama.cpp runs it as is; an existing output is never overwritten without
 * {@code --force}.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Converts a model: a Hugging Face directory (or a training job's newest step), OpenAI's GPT-2 release "
                + "(hparams.json + model.ckpt, as the book downloads it) or a GGUF file, to hf or gguf.")
final class ConvertCommand implements Callable<Integer> {
    /** Output formats. */
    enum Target { HF, GGUF }

    @Parameters(index = "0", description = "a checkpoint directory, a training job's directory, OpenAI's GPT-2 directory, or a .gguf file") Path input;
    @Parameters(index = "1", description = "the directory (hf) or file (gguf) to write") Path output;
    @Option(names = "--to", required = true, description = "hf or gguf") String to;
    @Option(names = "--type", defaultValue = "f32", description = "gguf only: f32, f16, bf16 or q8_0 for the weight matrices "
            + "(norms, biases and position embeddings stay f32, as llama.cpp's converter keeps them; default ${DEFAULT-VALUE})") String type;
    @Option(names = "--name", description = "gguf only: general.name (default: the input's file name)") String name;
    @Option(names = "--force", description = "replace an existing output") boolean force;

    @Override
    public Integer call() throws IOException {
        Target target = switch (to.toLowerCase()) {
            case "hf" -> Target.HF;
            case "gguf" -> Target.GGUF;
            default -> throw new IllegalArgumentException("--to must be hf or gguf, got '" + to + "'");
        };
        GgmlType weights = GgmlType.parse(type);
        Path in = input.toAbsolutePath().normalize(), out = output.toAbsolutePath().normalize();
        if (in.equals(out) || out.startsWith(in) && Files.isDirectory(in)) throw new IllegalArgumentException("the output must lie outside the input");
        if (Files.exists(out) && !force && !(Files.isDirectory(out) && isEmpty(out))) {
            throw new IllegalArgumentException(out + " exists; --force replaces it");
        }
        if (target == Target.GGUF && Files.isDirectory(out)) throw new IllegalArgumentException(out + " is a directory; gguf writes a file");
        if (target == Target.HF && Files.isRegularFile(out)) throw new IllegalArgumentException(out + " is a file; hf writes a directory");
        if (LlamaBundle.isOne(in)) return convertLlama(in, out, target, weights);
        ModelFiles.Format from = ModelFiles.detect(in);
        if (from == ModelFiles.Format.GGUF && target == Target.HF) requireGpt2Tokenizer(in);
        try (CpuBackend backend = new CpuBackend(Runtime.getRuntime().availableProcessors())) {
            GptModel model = ModelFiles.load(backend, in);
            if (target == Target.HF) {
                HfCheckpoint.save(model, out);
                System.out.println("wrote " + out + " (" + HfCheckpoint.CONFIG + ", " + HfCheckpoint.WEIGHTS + ") from " + from.name().toLowerCase() + " " + in);
            } else {
                // a GGUF's own tokenizer travels with it; a checkpoint directory's is GPT-2's when its vocabulary size is
                GgufVocabulary vocabulary = from == ModelFiles.Format.GGUF ? vocabularyOf(in)
                        : model.config().vocabSize() == Gpt2.VOCABULARY_SIZE ? GgufTokenizers.of(Encodings.gpt2()) : null;
                boolean withTokenizer = vocabulary != null;
                String label = name != null ? name : in.getFileName().toString().replaceFirst("\\.gguf$", "");
                GgufCheckpoint.save(model, label, weights, vocabulary, out);
                System.out.printf("wrote %s (%s, %.1f MB) from %s %s%s%n", out, weights.label(), Files.size(out) / 1e6,
                        from.name().toLowerCase(), in, withTokenizer ? "" : "; no tokenizer (none known for this model), llama.cpp needs one");
            }
        }
        return 0;
    }

    /**
     * Llama 3 / Qwen3, a Hugging Face directory or GGUF file, to either; the tokenizer, its BOS setting, the end tokens
     * and the chat template go along (GGUF: tokenizer.ggml.*, tokenizer.chat_template; Hugging Face: tokenizer.json,
     * tokenizer_config.json, config.json's bos_token_id and eos_token_id).
     */
    private int convertLlama(Path in, Path out, Target target, GgmlType weights) throws IOException {
        try (CpuBackend backend = new CpuBackend(Runtime.getRuntime().availableProcessors()); LlamaBundle b = LlamaBundle.open(backend, in)) {
            GgufVocabulary v = b.vocabulary();
            if (target == Target.GGUF) {
                String label = name != null ? name : in.getFileName().toString().replaceFirst("\\.gguf$", "");
                LlamaGguf.save(b.model(), label, weights, v, out);
                System.out.printf("wrote %s (%s %s, %.1f MB) from %s%n", out, LlamaGguf.architecture(b.model().config()), weights.label(),
                        Files.size(out) / 1e6, in);
                return 0;
            }
            writeLlamaDirectory(b, out);
            System.out.println("wrote " + out + " (config.json, model.safetensors, tokenizer.json, tokenizer_config.json) from " + in);
            return 0;
        }
    }

    /** A Llama / Qwen3 model in the Hugging Face layout, with its tokens (tokenizer.json, tokenizer_config.json, config.json's ids). */
    private static void writeLlamaDirectory(LlamaBundle b, Path out) throws IOException {
        GgufVocabulary v = b.vocabulary();
        LlamaCheckpoint.save(b.model(), out);
        Files.writeString(out.resolve("tokenizer.json"), Json.write(GgufTokenizers.tokenizerJson(v)));
        Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
        tokenizerConfig.put("add_bos_token", b.tokens().addBos());
        tokenizerConfig.put("bos_token", v.tokens().get(Math.toIntExact(v.bos())));
        tokenizerConfig.put("eos_token", v.tokens().get(Math.toIntExact(v.eos())));
        b.tokens().chatTemplate().ifPresent(t -> tokenizerConfig.put("chat_template", t.text()));
        Files.writeString(out.resolve("tokenizer_config.json"), Json.write(tokenizerConfig));
        Map<String, Object> config = new LinkedHashMap<>();
        HfCheckpoint.jsonObject(out.resolve(HfCheckpoint.CONFIG)).forEach((k, val) -> config.put((String) k, val));
        config.put("bos_token_id", v.bos());
        config.put("eos_token_id", b.tokens().ends().stream().map(Integer::longValue).toList());
        Files.writeString(out.resolve(HfCheckpoint.CONFIG), Json.write(config));
    }

    /**
     * A Hugging Face directory holding the model of a GGUF file or an OpenAI (TensorFlow) directory, converted once
     * into cacheRoot and reused while its files keep their sizes and modification times (what {@code ./llm serve
     * --model} serves: the services read one format).
     */
    static Path cachedHfCopy(Path source, Path cacheRoot) throws IOException {
        boolean gguf = ModelFiles.detect(source) == ModelFiles.Format.GGUF;
        boolean llama = gguf && LlamaBundle.isOne(source);
        if (gguf && !llama) requireGpt2Tokenizer(source);
        String stem = source.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_").replaceFirst("\\.gguf$", "");
        Path dir = cacheRoot.resolve(stem + "-" + identity(source));
        if (llama) return cachedLlamaCopy(source, dir);
        if (Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG)) && Files.isRegularFile(dir.resolve(HfCheckpoint.WEIGHTS))) return dir;
        try (CpuBackend backend = new CpuBackend(Runtime.getRuntime().availableProcessors());
             GptModel model = ModelFiles.load(backend, source)) {
            HfCheckpoint.save(model, dir); // config.json last: a half-written copy is not taken for a whole one
        }
        return dir;
    }

    /** A Llama / Qwen3 GGUF file's directory: written beside it, then moved in whole (a half-written copy is never taken). */
    private static Path cachedLlamaCopy(Path gguf, Path dir) throws IOException {
        if (Files.isDirectory(dir)) return dir;
        Files.createDirectories(dir.getParent());
        Path partial = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".partial-");
        try (CpuBackend backend = new CpuBackend(Runtime.getRuntime().availableProcessors()); LlamaBundle b = LlamaBundle.open(backend, gguf)) {
            writeLlamaDirectory(b, partial);
        }
        try {
            Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) { // another ./llm serve converted it meanwhile
            deleteTree(partial);
        }
        return dir;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }

    /** Sizes and modification times of a file, or of a directory's files: changes when any of them is replaced. */
    private static String identity(Path source) throws IOException {
        if (!Files.isDirectory(source)) {
            return Long.toHexString(Files.size(source)) + "-" + Long.toHexString(Files.getLastModifiedTime(source).toMillis());
        }
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                all.append(f.getFileName()).append('/').append(Files.size(f)).append('/').append(Files.getLastModifiedTime(f).toMillis()).append('\n');
            }
        }
        return Integer.toHexString(all.toString().hashCode()) + "-" + Integer.toHexString(all.length());
    }

    /** This suite's Hugging Face directories serve GPT-2's tokenizer: a GGUF with another vocabulary would be served wrong. */
    private static void requireGpt2Tokenizer(Path gguf) throws IOException {
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufVocabulary v = GgufCheckpoint.readVocabulary(f);
            if (v != null && !GgufTokenizers.isGpt2(v)) {
                throw new IllegalArgumentException(gguf + " carries a vocabulary other than GPT-2's (" + v.tokens().size()
                        + " tokens, model '" + v.model() + "'); this suite's checkpoints use GPT-2's");
            }
        }
    }

    private static GgufVocabulary vocabularyOf(Path gguf) throws IOException {
        try (GgufFile f = GgufFile.open(gguf)) {
            return GgufCheckpoint.readVocabulary(f);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
