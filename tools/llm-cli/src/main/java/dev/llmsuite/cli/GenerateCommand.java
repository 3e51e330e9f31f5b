package dev.llmsuite.cli;

import dev.llmsuite.chat.ChatMessage;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.Draft;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.SpeculativeGenerator;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.DecodeMode;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm generate}: a completion from any model file the suite reads, on this machine without a service: the
 * engine's Generator, as inference-service runs it. Greedy unless a temperature is given; {@code --ids} prints the
 * token ids too (to compare with another runtime token for token).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Completes a prompt with a checkpoint directory (GPT-2, Llama 3, Qwen3), OpenAI's GPT-2 directory or a GGUF file (greedy by default).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "a checkpoint directory, a training job's directory, OpenAI's GPT-2 directory (hparams.json + model.ckpt), or a .gguf file") Path model;
    @Option(names = "--prompt", required = true, description = "the text to complete (with --chat: the user's message)") String prompt;
    @Option(names = "--chat", description = "Llama 3 / Qwen3 directories: the prompt is a user's message, put in the model's own chat template; prints the answer") boolean chat;
    @Option(names = "--system", description = "with --chat: a system message before the user's") String system;
    @Option(names = "--template-var", description = "with --chat: a variable for the model's chat template, NAME=VALUE (true, false and "
            + "integers as such; e.g. enable_thinking=false for Qwen3); repeatable") Map<String, String> templateVars = new LinkedHashMap<>();
    @Option(names = "--adapter", description = "Llama 3 / Qwen3: a LoRA adapter directory (PEFT's adapter_config.json + adapter_model.safetensors), merged into the weights") Path adapter;
    @Option(names = "--max-tokens", defaultValue = "64", description = "tokens to generate (default ${DEFAULT-VALUE})") int maxTokens;
    @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy (default ${DEFAULT-VALUE})") double temperature;
    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--weights", defaultValue = "fp32", description = "fp32, bf16 or int8 linear layers (default ${DEFAULT-VALUE})") String weights;
    @Option(names = "--ids", description = "print the generated token ids after the text") boolean ids;
    @Option(names = "--threads", description = "compute threads (default: all cores)") Integer threads;
    @Option(names = "--draft", description = "speculative decoding: int8 or bf16 (the model's own weights, "
            + "converted) or a smaller model's path; greedy output is the same, sooner; sampled output is drawn from the same distribution") String draft;
    @Option(names = "--lookahead", defaultValue = "8", description = "tokens the draft proposes a round (default ${DEFAULT-VALUE})") int lookahead;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 1 || maxTokens > 100_000) throw new IllegalArgumentException("--max-tokens must be 1 to 100000");
        BpeTokenizer tokenizer = new BpeTokenizer(Encodings.gpt2());
        try (CpuBackend backend = new CpuBackend(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            Path dir = model.toAbsolutePath().normalize();
            if (LlamaBundle.isOne(dir)) {
                if (draft != null || !weights.equals("fp32")) throw new IllegalArgumentException("--draft and --weights are for GPT-2 models so far");
                LlamaGenerate.Completion c = chat
                        ? LlamaGenerate.chat(backend, dir, adapter, conversation(), templateVariables(), maxTokens, temperature, seed)
                        : LlamaGenerate.run(backend, dir, adapter, prompt, maxTokens, temperature, seed);
                System.out.println(chat ? c.text() : prompt + c.text());
                if (ids) System.out.println(Arrays.stream(c.ids()).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
                return 0;
            }
            if (chat || system != null || !templateVars.isEmpty()) {
                throw new IllegalArgumentException("--chat, --system and --template-var need a model that ships a chat template (Llama 3, Qwen3)");
            }
            if (adapter != null) throw new IllegalArgumentException("--adapter is for Llama 3 / Qwen3 models (GPT-2 adapters are served by ./llm serve)");
            GptModel m = ModelFiles.load(backend, model.toAbsolutePath().normalize());
            if (m.config().vocabSize() != Gpt2.VOCABULARY_SIZE) {
                throw new IllegalArgumentException(model + " has " + m.config().vocabSize() + " token ids; this command speaks GPT-2's tokens");
            }
            int[] promptIds = tokenizer.encode(prompt);
            SamplingParams params = new SamplingParams(maxTokens, temperature, 0, 1, seed, Set.of(Gpt2.END_OF_TEXT));
            int[] out;
            try (Decoder decoder = Decoder.of(m, ServingWeights.parse(weights))) {
                out = draft == null ? new Generator(decoder).generate(promptIds, params, null) : speculative(backend, decoder, promptIds, params);
            }
            System.out.println(prompt + tokenizer.decode(out, DecodeMode.LENIENT));
            if (ids) System.out.println(Arrays.stream(out).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
        return 0;
    }

    /** --template-var values as a template compares them: booleans and integers as such, anything else a string. */
    private Map<String, Object> templateVariables() {
        if (!chat && !templateVars.isEmpty()) throw new IllegalArgumentException("--template-var needs --chat");
        Map<String, Object> out = new LinkedHashMap<>();
        templateVars.forEach((name, value) -> out.put(name, switch (value) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> value.matches("-?[0-9]{1,18}") ? (Object) Long.parseLong(value) : value;
        }));
        return out;
    }

    private List<ChatMessage> conversation() {
        if (system == null) return List.of(ChatMessage.of("user", prompt));
        return List.of(ChatMessage.of("system", system), ChatMessage.of("user", prompt));
    }

    /** Decoding with a draft (greedy: the same tokens; sampling: the same distribution); its statistics go to stderr. */
    private int[] speculative(CpuBackend backend, Decoder target, int[] promptIds, SamplingParams params) throws IOException {
        try (Draft drafter = Draft.open(backend, target.model(), draft)) {
            SpeculativeGenerator.Result r = new SpeculativeGenerator(target, drafter.decoder(), lookahead).generate(promptIds, params, null);
            System.err.printf("speculative: %d tokens in %d target steps, %.0f%% of %d proposals kept%n", r.tokens().length,
                    r.stats().targetSteps(), 100 * r.stats().acceptance(), r.stats().proposed());
            return r.tokens();
        }
    }
}
