package dev.llmsuite.cli;

import dev.llmsuite.chat.ChatTemplate;
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
 *   tokenizer     tokenizer.json                                  tokenizer.ggml.* (GgufTokenizers.tokenizerJson)
 *   end tokens    config.json's and generation_config.json's      tokenizer.ggml.eos_token_id and eot_token_id
 *                 eos_token_id
 *   BOS first     tokenizer_config.json's add_bos_token, with     tokenizer.ggml.add_bos_token, bos_token_id
 *                 config.json's bos_token_id
 *   chat template chat_template.jinja or tokenizer_config.json    tokenizer.chat_template
 * </pre>
 *
 * @param ends   the end tokens, the first the model's EOS
 * @param bos    the model's beginning-of-text id, or null
 * @param addBos whether a plain prompt starts with it
 */
record LlamaBundle(LlamaModel model, HfTokenizer tokenizer, List<Integer> ends, Integer bos, boolean addBos, Optional<ChatTemplate> chatTemplate)
        implements AutoCloseable {

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
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) throw new IllegalArgumentException(dir + " has no tokenizer.json");
        HfTokenizer tokenizer = HfTokenizer.read(tokenizerFile);
        Map<?, ?> config = HfCheckpoint.jsonObject(dir.resolve("config.json"));
        Set<Integer> stops = new LinkedHashSet<>(ids(config.get("eos_token_id")));
        if (Files.isRegularFile(dir.resolve("generation_config.json"))) {
            stops.addAll(ids(HfCheckpoint.jsonObject(dir.resolve("generation_config.json")).get("eos_token_id")));
        }
        boolean addBos = Files.isRegularFile(dir.resolve("tokenizer_config.json"))
                && Boolean.TRUE.equals(HfCheckpoint.jsonObject(dir.resolve("tokenizer_config.json")).get("add_bos_token"));
        Integer bos = config.get("bos_token_id") instanceof Long id ? Math.toIntExact(id) : null;
        Optional<ChatTemplate> template = ChatTemplate.fromModelDirectory(dir);
        return checked(LlamaCheckpoint.load(backend, dir), tokenizer, stops, bos, addBos && bos != null, template);
    }

    private static LlamaBundle fromGguf(ComputeBackend backend, Path file) throws IOException {
        HfTokenizer tokenizer;
        Set<Integer> stops = new LinkedHashSet<>();
        int bos;
        boolean addBos;
        Optional<ChatTemplate> template = Optional.empty();
        try (GgufFile f = GgufFile.open(file)) {
            GgufVocabulary v = GgufCheckpoint.readVocabulary(f);
            if (v == null) throw new IllegalArgumentException(file + " carries no tokenizer (tokenizer.ggml.tokens)");
            tokenizer = HfTokenizer.fromJson(file.getFileName().toString(), GgufTokenizers.tokenizerJson(v));
            stops.add(Math.toIntExact(v.eos()));
            GgufValue eot = f.get("tokenizer.ggml.eot_token_id");
            if (eot != null) stops.add(Math.toIntExact(eot.asLong("tokenizer.ggml.eot_token_id")));
            bos = Math.toIntExact(v.bos());
            addBos = v.addBos();
            if (v.chatTemplate() != null) {
                template = Optional.of(new ChatTemplate(v.chatTemplate(), v.tokens().get(Math.toIntExact(v.bos())), v.tokens().get(Math.toIntExact(v.eos()))));
            }
        }
        return checked(LlamaGguf.load(backend, file), tokenizer, stops, bos, addBos, template);
    }

    private static LlamaBundle checked(LlamaModel model, HfTokenizer tokenizer, Set<Integer> stops, Integer bos, boolean addBos,
            Optional<ChatTemplate> template) {
        if (tokenizer.vocabulary().size() > model.config().vocabSize()) {
            int ids = tokenizer.vocabulary().size(), rows = model.config().vocabSize();
            model.close();
            throw new IllegalArgumentException("the tokenizer has " + ids + " ids, the model " + rows);
        }
        return new LlamaBundle(model, tokenizer, List.copyOf(stops), bos, addBos, template);
    }

    /** The model's tokenizer in GGUF's terms, with its BOS setting and chat template. */
    GgufVocabulary vocabulary() {
        int eos = ends.isEmpty() ? tokenizer.vocabulary().size() - 1 : ends.getFirst();
        GgufVocabulary v = GgufTokenizers.of(tokenizer, bos != null ? bos : eos, eos);
        return new GgufVocabulary(v.model(), v.pre(), v.tokens(), v.types(), v.merges(), v.bos(), v.eos(), addBos,
                chatTemplate.map(ChatTemplate::text).orElse(null));
    }

    /** An id or a list of ids (eos_token_id is either); nothing for anything else. */
    private static List<Integer> ids(Object value) {
        if (value instanceof Long l) return List.of(Math.toIntExact(l));
        if (value instanceof List<?> list) return list.stream().filter(Long.class::isInstance).map(o -> Math.toIntExact((Long) o)).toList();
        return List.of();
    }

    @Override
    public void close() {
        model.close();
    }
}
