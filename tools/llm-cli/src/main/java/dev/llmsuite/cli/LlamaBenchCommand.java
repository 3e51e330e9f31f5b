package dev.llmsuite.cli;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.llama.LlamaCache;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import dev.llmsuite.engine.model.llama.LlamaModel;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench llama}: KV-cached greedy decode of Llama- and Qwen3-shaped models beside GPT-2 124M in the same
 * run, fp32 and int8 decode steps, random weights, and each one's tokens/s × parameters against GPT-2's on the same weights (the goal: within 10% per
 * parameter). The Llama shapes keep GPT-2's width, depth and vocabulary with 4 key/value heads and SwiGLU's 2048.
 */
@Command(name = "llama", mixinStandardHelpOptions = true,
        description = "Decode tokens/s of Llama- and Qwen3-shaped models beside GPT-2 124M, per parameter")
final class LlamaBenchCommand extends BenchCommand.Common implements Runnable {
    @Option(names = "--tokens", defaultValue = "64", description = "tokens decoded after a 16-token prompt (default ${DEFAULT-VALUE})") int tokens;

    @Override
    public void run() {
        try (CpuBackend be = new CpuBackend(threads)) {
            GptConfig gpt = GptConfig.preset("gpt2-124m").withTiedOutputHead(true);
            try (GptModel gptModel = new GptModel(be, gpt)) {
                gptModel.initialize(1);
                long gptParams = gptModel.layout().totalSize();
                for (ServingWeights w : new ServingWeights[] {ServingWeights.FP32, ServingWeights.INT8}) {
                    double gptRate = 0;
                    try (Decoder decoder = Decoder.of(gptModel, w)) {
                        for (int round = 0; round < 3; round++) gptRate = Math.max(gptRate, gpt2Rate(be, gptModel, decoder));
                    }
                    report("gpt2-124m", w, gptParams, gptRate, gptParams, gptRate);
                    for (Architecture a : Architecture.values()) {
                        LlamaConfig c = new LlamaConfig(a, gpt.vocabSize(), 768, 2048, 12, 12, 4, 64, 1024, 1e-5f,
                                a == Architecture.LLAMA ? 500000 : 1000000, a == Architecture.LLAMA ? new LlamaConfig.RopeScaling(32, 1, 4, 8192) : null,
                                a == Architecture.QWEN3, true);
                        try (LlamaModel model = LlamaModel.initialized(be, c, 2)) {
                            model.serve(w);
                            double rate = 0;
                            for (int round = 0; round < 3; round++) rate = Math.max(rate, llamaRate(model));
                            report(a.name().toLowerCase() + "-shaped", w, c.parameterCount(), rate, gptParams, gptRate);
                        }
                    }
                }
            }
        }
    }

    private double gpt2Rate(CpuBackend be, GptModel model, Decoder decoder) {
        try (KvCache cache = new KvCache(be, model.config(), 16 + tokens + 1)) {
            float[] logits = decoder.prefill(prompt(), cache);
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) logits = decoder.decode(TokenSampler.argmax(logits), cache);
            return tokens / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private double llamaRate(LlamaModel model) {
        try (LlamaCache cache = new LlamaCache(model.backend(), model.config(), 16 + tokens + 1)) {
            float[] logits = model.forward(prompt(), cache, false);
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) logits = model.forward(new int[] {TokenSampler.argmax(logits)}, cache, false);
            return tokens / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static int[] prompt() {
        int[] ids = new int[16];
        for (int i = 0; i < ids.length; i++) ids[i] = 100 + 37 * i;
        return ids;
    }

    private void report(String model, ServingWeights weights, long params, double rate, long gptParams, double gptRate) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("bench", "llama");
        row.put("model", model);
        row.put("weights", weights.label());
        row.put("parameters_m", params / 1e6);
        row.put("decode_tokens_per_s", rate);
        row.put("per_parameter_vs_gpt2", String.format("%.3f", rate * params / (gptRate * gptParams)));
        row(row);
    }
}
