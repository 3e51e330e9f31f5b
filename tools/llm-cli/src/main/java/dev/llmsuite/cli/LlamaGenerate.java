package dev.llmsuite.cli;

import dev.llmsuite.chat.ChatMessage;
import dev.llmsuite.chat.ChatPrompt;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.model.llama.LlamaGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./llm generate} on a Llama 3 or Qwen3 model, a Hugging Face directory or a GGUF file ({@link LlamaBundle}):
 * the prompt is the user's text (added tokens spelled in it stay text) after the BOS the files ask for, or with
 * {@code --chat} a conversation rendered by the model's own chat template ({@link ChatPrompt}: the template writes
 * BOS and the turn markup; text spelling an added token is refused); generation stops at any end token they name.
 */
final class LlamaGenerate {
    private LlamaGenerate() {}

    /** The prompt's ids as the model expects them, and the completion's ids. */
    record Completion(int[] promptIds, int[] ids, String text) {}

    static Completion run(CpuBackend backend, Path model, Path adapter, String prompt, int maxTokens, double temperature, long seed)
            throws IOException {
        try (LlamaBundle b = LlamaBundle.open(backend, model, adapter)) {
            return generate(b, b.tokens().encodeText(prompt), maxTokens, temperature, seed);
        }
    }

    /** The assistant's answer to a conversation, its prompt written by the model's chat template. */
    static Completion chat(CpuBackend backend, Path model, Path adapter, List<ChatMessage> messages, Map<String, Object> variables, int maxTokens,
                           double temperature, long seed) throws IOException {
        try (LlamaBundle b = LlamaBundle.open(backend, model, adapter)) {
            var template = b.tokens().chatTemplate().orElseThrow(() -> new IllegalArgumentException(
                    model + " has no chat template (chat_template.jinja, tokenizer_config.json or tokenizer.chat_template)"));
            return generate(b, ChatPrompt.encode(b.tokens().tokenizer(), template, messages, List.of(), true, variables), maxTokens, temperature, seed);
        }
    }

    private static Completion generate(LlamaBundle b, int[] promptIds, int maxTokens, double temperature, long seed) {
        if (promptIds.length == 0) throw new IllegalArgumentException("the prompt is empty");
        int[] out = new LlamaGenerator(b.model()).generate(promptIds, new SamplingParams(maxTokens, temperature, 0, 1, seed, Set.copyOf(b.tokens().ends())), null);
        return new Completion(promptIds, out, b.tokens().tokenizer().decode(out));
    }
}
