package dev.llmsuite.cli;

import dev.llmsuite.chat.ChatTemplate;
import dev.llmsuite.chat.ModelTokens;
import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.io.gguf.GgufCheckpoint;
import dev.llmsuite.engine.io.gguf.GgufFile;
import dev.llmsuite.engine.io.gguf.GgufValue;
import dev.llmsuite.engine.io.gguf.GgufVocabulary;
import dev.llmsuite.engine.io.gguf.LlamaGguf;
import dev.llmsuite.engine.model.llama.LlamaLora;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A Llama 3 or Qwen3 model with what generating from it needs, from a Hugging Face directory or a GGUF file:
 *
 * <pre>
 *                 Hugging Face directory                          GGUF file
 *   weights       config.json + model.safetensors                 llama / qwen3 tensors (LlamaGguf)
 *   tokens        ModelTokens.fromDirectory: tokenizer.json,      tokenizer.ggml.* (GgufTokenizers.tokenizerJson),
 *                 end ids, BOS, chat template                     eos_token_id and eot_token_id, add_bos_token,
 *                                                                 tokenizer.chat_template
 * </pre>
 */
record LlamaBundle(LlamaModel model, ModelTokens tokens) implements AutoCloseable {

    /** Whether path is a Llama/Qwen3 directory or GGUF file (rather than GPT-2's). */
    static boolean isOne(Path path) {
        if (Files.isDirectory(path)) return LlamaCheckpoint.isOne(path);
        if (!Files.isRegularFile(path) || !path.getFileName().toString().endsWith(".gguf")) return false;
        try (GgufFile f = GgufFile.open(path)) {
            return LlamaGguf.isOne(f);
        } catch (IOException e) {
            return false;
        }
    }

    static LlamaBundle open(ComputeBackend backend, Path path) throws IOException {
        return Files.isDirectory(path) ? fromDirectory(backend, path) : fromGguf(backend, path);
    }

    /** The same with a LoRA adapter directory (PEFT's files) merged into the weights, when adapter is not null. */
    static LlamaBundle open(ComputeBackend backend, Path path, Path adapter) throws IOException {
        LlamaBundle b = open(backend, path);
        if (adapter == null) return b;
        try (LlamaLora lora = LlamaLora.load(backend, b.model().config(), adapter)) {
            lora.mergeInto(b.model());
        } catch (IOException | RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    private static LlamaBundle fromDirectory(ComputeBackend backend, Path dir) throws IOException {
        return checked(LlamaCheckpoint.load(backend, dir), ModelTokens.fromDirectory(dir));
    }

    private static LlamaBundle fromGguf(ComputeBackend backend, Path file) throws IOException {
        ModelTokens tokens;
        try (GgufFile f = GgufFile.open(file)) {
            GgufVocabulary v = GgufCheckpoint.readVocabulary(f);
            if (v == null) throw new IllegalArgumentException(file + " carries no tokenizer (tokenizer.ggml.tokens)");
            HfTokenizer tokenizer = HfTokenizer.fromJson(file.getFileName().toString(), GgufTokenizers.tokenizerJson(v));
            Set<Integer> ends = new LinkedHashSet<>();
            ends.add(Math.toIntExact(v.eos()));
            GgufValue eot = f.get("tokenizer.ggml.eot_token_id");
            if (eot != null) ends.add(Math.toIntExact(eot.asLong("tokenizer.ggml.eot_token_id")));
            Optional<ChatTemplate> template = Optional.empty();
            if (v.chatTemplate() != null) {
                template = Optional.of(new ChatTemplate(v.chatTemplate(), v.tokens().get(Math.toIntExact(v.bos())), v.tokens().get(Math.toIntExact(v.eos()))));
            }
            tokens = new ModelTokens(tokenizer, List.copyOf(ends), Math.toIntExact(v.bos()), v.addBos(), template);
        }
        return checked(LlamaGguf.load(backend, file), tokens);
    }

    private static LlamaBundle checked(LlamaModel model, ModelTokens tokens) {
        try {
            tokens.requireRows(model.config().vocabSize());
        } catch (IllegalArgumentException e) {
            model.close();
            throw e;
        }
        return new LlamaBundle(model, tokens);
    }

    /** The model's tokenizer in GGUF's terms, with its BOS setting and chat template. */
    GgufVocabulary vocabulary() {
        int eos = tokens.ends().isEmpty() ? tokens.tokenizer().vocabulary().size() - 1 : tokens.eos();
        GgufVocabulary v = GgufTokenizers.of(tokens.tokenizer(), tokens.bos() != null ? tokens.bos() : eos, eos);
        return new GgufVocabulary(v.model(), v.pre(), v.tokens(), v.types(), v.merges(), v.bos(), v.eos(), tokens.addBos(),
                tokens.chatTemplate().map(ChatTemplate::text).orElse(null));
    }

    @Override
    public void close() {
        model.close();
    }
}
