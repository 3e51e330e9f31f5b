package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import dev.llmsuite.engine.model.llama.LlamaLora;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.engine.model.llama.LlamaTrainingStep;
import dev.llmsuite.engine.train.AdamW;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench lora}: one LoRA fine-tuning step of a Llama-shaped model (GPT-2 124M's width, depth and
 * vocabulary, 4 key/value heads, SwiGLU 2048, tied head; random weights) beside PyTorch's autograd on the same shape
 * in the same run: the base frozen, rank-r adapters (alpha 2r) on the seven linear layers, gradients clipped to norm 1,
 * AdamW on the adapters; one sequence of --context tokens a step; tokens/s after a warm-up step.
 */
@Command(name = "lora", mixinStandardHelpOptions = true, description = "LoRA fine-tuning tokens/s of a Llama-shaped model beside PyTorch")
final class LoraBenchCommand extends BenchCommand.Common implements Runnable {
    @Option(names = "--context", defaultValue = "128", description = "tokens a step (default ${DEFAULT-VALUE})") int context;
    @Option(names = "--steps", defaultValue = "3", description = "timed steps after one warm-up (default ${DEFAULT-VALUE})") int steps;
    @Option(names = "--rank", defaultValue = "16", description = "adapter rank (default ${DEFAULT-VALUE})") int rank;

    @Override
    public void run() {
        TorchPeer peer = peer();
        JsonNode theirs = peer == null ? null : peer.run("lora", "--context", "" + context, "--steps", "" + steps, "--rank", "" + rank,
                "--threads", "" + threads).getFirst();
        LlamaConfig c = new LlamaConfig(Architecture.LLAMA, 50257, 768, 2048, 12, 12, 4, 64, Math.max(1024, context), 1e-5f, 500000,
                null, false, true);
        double tokensPerS;
        try (CpuBackend be = new CpuBackend(threads); LlamaModel model = LlamaModel.initialized(be, c, 0);
             LlamaLora lora = new LlamaLora(be, c, new LlamaLora.Settings(rank, 2.0 * rank, EnumSet.allOf(LlamaLora.Target.class)), 1);
             LlamaTrainingStep step = new LlamaTrainingStep(model, lora, context)) {
            AdamW opt = new AdamW(be, lora.parameters(), lora.gradients(), lora.specs(), new AdamW.Settings(0.9f, 0.999f, 1e-8f, 0f));
            Random r = new Random(0);
            int[] x = new int[context], y = new int[context];
            for (int i = 0; i < context; i++) {
                x[i] = r.nextInt(c.vocabSize());
                y[i] = r.nextInt(c.vocabSize());
            }
            long total = 0;
            for (int s = 0; s <= steps; s++) {
                long t0 = System.nanoTime();
                step.lossAndGradients(x, y);
                opt.clipGradientNorm(1.0);
                opt.step(1e-4f);
                if (s > 0) total += System.nanoTime() - t0; // step 0 warms up the JIT
            }
            opt.close();
            tokensPerS = (double) context * steps / (total / 1e9);
        }
        Double torch = theirs == null ? null : theirs.get("tokens_per_s").asDouble();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("bench", "lora");
        row.put("shape", "llama (gpt2-124m width/depth/vocab, 4 kv heads)");
        row.put("context", context);
        row.put("rank", rank);
        row.put("ours_tokens_per_s", tokensPerS);
        row.put("torch_tokens_per_s", torch);
        row.put("ratio", BenchCommand.ratio(tokensPerS, torch));
        row.put("ours_peak_rss_mb", (double) BenchCommand.peakRssMb());
        row.put("torch_peak_rss_mb", theirs == null ? null : theirs.get("peak_rss_mb").asDouble());
        row(row);
    }
}
