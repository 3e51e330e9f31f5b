package dev.llmsuite.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
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
 * What a Hugging Face model directory says about its tokens, read in one place for everyone who runs a Llama 3 or
 * Qwen3 model (the CLI's generate, fine-tuning, inference-service):
 *
 * <pre>
 *   tokenizer      tokenizer.json
 *   end tokens     config.json's eos_token_id (an id or a list), then generation_config.json's
 *   BOS first      tokenizer_config.json's add_bos_token, with config.json's bos_token_id
 *   chat template  chat_template.jinja or tokenizer_config.json's chat_template ({@link ChatTemplate#fromModelDirectory})
 * </pre>
 *
 * (A GGUF file says the same in its tokenizer.ggml keys; the CLI's LlamaBundle reads those into this record.)
 *
 * @param ends   the end tokens, the model's EOS first; a generation stops at any of them
 * @param bos    the model's beginning-of-text id, or null
 * @param addBos whether a plain prompt (not a rendered chat template, which writes its own) starts with bos
 */
public record ModelTokens(HfTokenizer tokenizer, List<Integer> ends, Integer bos, boolean addBos, Optional<ChatTemplate> chatTemplate) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** config.json, generation_config.json and tokenizer_config.json are read whole; real ones are far smaller. */
    private static final long MAX_JSON_BYTES = 32L << 20;

    public ModelTokens {
        ends = List.copyOf(ends);
        if (addBos && bos == null) throw new IllegalArgumentException("add_bos_token without a bos_token_id");
        int size = tokenizer.vocabulary().size();
        for (int id : ends) if (id < 0 || id >= size) throw new IllegalArgumentException("end token " + id + " outside the tokenizer's " + size + " ids");
        if (bos != null && (bos < 0 || bos >= size)) throw new IllegalArgumentException("bos token " + bos + " outside the tokenizer's " + size + " ids");
    }

    public static ModelTokens fromDirectory(Path dir) throws IOException {
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) throw new IllegalArgumentException(dir.getFileName() + " has no tokenizer.json");
        HfTokenizer tokenizer = HfTokenizer.read(tokenizerFile);
        Map<?, ?> config = object(dir.resolve("config.json"));
        Set<Integer> ends = new LinkedHashSet<>(ids(config.get("eos_token_id")));
        ends.addAll(ids(object(dir.resolve("generation_config.json")).get("eos_token_id")));
        boolean addBos = Boolean.TRUE.equals(object(dir.resolve("tokenizer_config.json")).get("add_bos_token"));
        Integer bos = config.get("bos_token_id") instanceof Integer id ? id : null;
        try {
            return new ModelTokens(tokenizer, List.copyOf(ends), bos, addBos && bos != null, ChatTemplate.fromModelDirectory(dir));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir.getFileName() + ": " + e.getMessage(), e);
        }
    }

    /** Refuses a model whose embedding has fewer rows than the tokenizer has ids (it could not read them all). */
    public void requireRows(int modelRows) {
        int ids = tokenizer.vocabulary().size();
        if (ids > modelRows) throw new IllegalArgumentException("the tokenizer has " + ids + " ids, the model's embedding " + modelRows + " rows");
    }

    /** The model's EOS: the first end token. */
    public int eos() {
        if (ends.isEmpty()) throw new IllegalStateException("the model names no eos_token_id");
        return ends.getFirst();
    }

    /** A plain prompt's ids: BOS when the model adds it, then the text with special-token spellings as those tokens. */
    public int[] encodePrompt(String text) {
        return withBos(tokenizer.encodeWithSpecialTokens(text));
    }

    /** A user's text as ids (special-token spellings stay text), after BOS when the model adds it: a training example. */
    public int[] encodeText(String text) {
        return withBos(tokenizer.encodeOrdinary(text));
    }

    private int[] withBos(int[] ids) {
        if (!addBos) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** A JSON file's top-level object; an absent file reads as empty. */
    private static Map<?, ?> object(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return Map.of();
        if (Files.size(file) > MAX_JSON_BYTES) throw new IOException(file.getFileName() + " is larger than " + MAX_JSON_BYTES + " bytes");
        if (!(JSON.readValue(file.toFile(), Object.class) instanceof Map<?, ?> map)) throw new IOException(file.getFileName() + " is not a JSON object");
        return map;
    }

    /** An id or a list of ids (eos_token_id is either); nothing when absent. */
    private static List<Integer> ids(Object value) {
        if (value == null) return List.of();
        if (value instanceof Integer id) return List.of(id);
        if (value instanceof List<?> list && list.size() <= 64 && list.stream().allMatch(Integer.class::isInstance)) {
            return list.stream().map(Integer.class::cast).toList();
        }
        throw new IllegalArgumentException("eos_token_id must be a token id or a list of up to 64, got " + String.valueOf(value).substring(0, Math.min(80, String.valueOf(value).length())));
    }
}
