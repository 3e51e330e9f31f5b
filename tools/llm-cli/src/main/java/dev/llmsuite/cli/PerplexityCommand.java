package dev.llmsuite.cli;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench perplexity}: what 8-bit serving weights cost. One checkpoint, one held-out text,
 * the same decode path (prefill one token, then one decode step per token, as serving runs it) with
 * fp32, bf16 and int8 weights: perplexity and decode tokens/s side by side.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity and decode tokens/s of a checkpoint on a text, fp32 beside bf16 and int8 weights.")
final class PerplexityCommand extends BenchCommand.Common implements Runnable {
    @Option(names = "--model", required = true, description = "checkpoint directory (Hugging Face GPT-2 layout), or a training job's directory: its newest step") Path model;
    @Option(names = "--text", required = true, description = "held-out text, GPT-2 tokenized") Path text;
    @Option(names = "--tokens", defaultValue = "4096", description = "tokens of the text to score (default ${DEFAULT-VALUE})") int tokens;

    public void run() {
        int[] ids;
        try {
            ids = new BpeTokenizer(Encodings.gpt2()).encode(Files.readString(text));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + text + ": " + e.getMessage(), e);
        }
        ids = Arrays.copyOf(ids, Math.min(ids.length, tokens));
        double fp32 = 0;
        for (ServingWeights weights : ServingWeights.values()) {
            try (CpuBackend be = new CpuBackend(threads)) {
                GptModel loaded = ModelFiles.load(be, model.toAbsolutePath().normalize());
                Decoder m = Decoder.of(loaded, weights);
                long t0 = System.nanoTime();
                double[] nll = negativeLogLikelihood(m, ids);
                double seconds = (System.nanoTime() - t0) / 1e9;
                double ppl = Math.exp(nll[0] / nll[1]);
                if (weights == ServingWeights.FP32) fp32 = ppl;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("bench", "perplexity");
                row.put("weights", weights.label());
                row.put("tokens_scored", (long) nll[1]);
                row.put("perplexity", ppl);
                row.put("vs_fp32_percent", String.format("%+.3f", 100 * (ppl / fp32 - 1)));
                row.put("decode_tokens_per_s", nll[1] / seconds);
                row(row);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot load " + model + ": " + e.getMessage(), e);
            }
        }
    }

    /** Σ -log p(next token) over windows of the model's context, and how many tokens were scored. */
    static double[] negativeLogLikelihood(Decoder m, int[] ids) {
        int ctx = m.model().config().contextLength();
        double sum = 0;
        long count = 0;
        for (int start = 0; start + 1 < ids.length; start += ctx) {
            int end = Math.min(ids.length, start + ctx + 1); // tokens start..end-1; predict start+1..end-1
            KvCache cache = new KvCache(m.model().backend(), m.model().config(), ctx);
            float[] logits = m.prefill(new int[] {ids[start]}, cache);
            for (int i = start + 1; i < end; i++) {
                sum -= logSoftmax(logits, ids[i]);
                count++;
                if (i + 1 < end && cache.length() < ctx) logits = m.decode(ids[i], cache);
                else break;
            }
        }
        return new double[] {sum, count};
    }

    private static double logSoftmax(float[] logits, int id) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) max = Math.max(max, l);
        for (float l : logits) sum += Math.exp(l - max);
        return logits[id] - max - Math.log(sum);
    }
}
