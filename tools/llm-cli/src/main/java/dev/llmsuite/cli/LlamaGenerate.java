package dev.llmsuite.cli;

import dev.llmsuite.chat.ChatMessage;
import dev.llmsuite.chat.ChatPrompt;
import dev.llmsuite.chat.ChatTemplate;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.llama.LlamaGenerator;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./llm generate} on a Llama 3 or Qwen3 directory in the Hugging Face layout: its own {@code tokenizer.json};
 * the beginning-of-text token first when {@code tokenizer_config.json} says {@code add_bos_token} (Llama 3 base models);
 * stopping at any end token {@code config.json} or {@code generation_config.json} names. The prompt is the user's text
 * (added tokens spelled in it stay text), or with {@code --chat} a conversation rendered by the directory's own chat
 * template ({@link ChatPrompt}: the template writes BOS and the turn markup; text spelling an added token is refused).
 */
final class LlamaGenerate {
    private LlamaGenerate() {}

    /** The prompt's ids as the model expects them, and the completion's ids. */
    record Completion(int[] promptIds, int[] ids, String text) {}

    static Completion run(CpuBackend backend, Path dir, String prompt, int maxTokens, double temperature, long seed) throws IOException {
        HfTokenizer tokenizer = tokenizer(dir);
        Map<?, ?> config = json(dir.resolve("config.json"));
        int[] text = tokenizer.encode(prompt);
        boolean bos = Files.isRegularFile(dir.resolve("tokenizer_config.json"))
                && Boolean.TRUE.equals(json(dir.resolve("tokenizer_config.json")).get("add_bos_token"))
                && config.get("bos_token_id") instanceof Long;
        int[] promptIds = text;
        if (bos) {
            promptIds = new int[text.length + 1];
            promptIds[0] = Math.toIntExact((Long) config.get("bos_token_id"));
            System.arraycopy(text, 0, promptIds, 1, text.length);
        }
        return generate(backend, dir, tokenizer, config, promptIds, maxTokens, temperature, seed);
    }

    /** The assistant's answer to a conversation, its prompt written by the directory's chat template. */
    static Completion chat(CpuBackend backend, Path dir, List<ChatMessage> messages, int maxTokens, double temperature, long seed) throws IOException {
        HfTokenizer tokenizer = tokenizer(dir);
        ChatTemplate template = ChatTemplate.fromModelDirectory(dir)
                .orElseThrow(() -> new IllegalArgumentException(dir + " has no chat template (tokenizer_config.json or chat_template.jinja)"));
        int[] promptIds = ChatPrompt.encode(tokenizer, template, messages, List.of(), true, Map.of());
        return generate(backend, dir, tokenizer, json(dir.resolve("config.json")), promptIds, maxTokens, temperature, seed);
    }

    private static HfTokenizer tokenizer(Path dir) throws IOException {
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) throw new IllegalArgumentException(dir + " has no tokenizer.json");
        return HfTokenizer.read(tokenizerFile);
    }

    private static Completion generate(CpuBackend backend, Path dir, HfTokenizer tokenizer, Map<?, ?> config, int[] promptIds,
            int maxTokens, double temperature, long seed) throws IOException {
        Set<Integer> stops = new HashSet<>(ids(config.get("eos_token_id")));
        if (Files.isRegularFile(dir.resolve("generation_config.json"))) stops.addAll(ids(json(dir.resolve("generation_config.json")).get("eos_token_id")));
        if (promptIds.length == 0) throw new IllegalArgumentException("the prompt is empty");
        try (LlamaModel model = LlamaCheckpoint.load(backend, dir)) {
            if (tokenizer.vocabulary().size() > model.config().vocabSize()) {
                throw new IllegalArgumentException("tokenizer.json has " + tokenizer.vocabulary().size() + " ids, the model " + model.config().vocabSize());
            }
            int[] out = new LlamaGenerator(model).generate(promptIds, new SamplingParams(maxTokens, temperature, 0, 1, seed, stops), null);
            return new Completion(promptIds, out, tokenizer.decode(out));
        }
    }

    private static Map<?, ?> json(Path file) throws IOException {
        return HfCheckpoint.jsonObject(file);
    }

    /** An id or a list of ids (eos_token_id is either); nothing for anything else. */
    private static List<Integer> ids(Object value) {
        if (value instanceof Long l) return List.of(Math.toIntExact(l));
        if (value instanceof List<?> list) return list.stream().filter(Long.class::isInstance).map(o -> Math.toIntExact((Long) o)).toList();
        return List.of();
    }
}
