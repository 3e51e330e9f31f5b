package dev.llmsuite.cli;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.Draft;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.SpeculativeGenerator;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code ./llm bench speculative}: decode tokens/s of a target with and without a draft, in the same run; greedy, the
 * two outputs compared token for token, or sampled ({@code --temperature}). The target serves fp32 panels (verification at about one step's cost); plain
 * decoding on those and on plain fp32 is timed beside it. The draft is the target's own 8-bit weights ({@code --draft int8}, the
 * default: no second model needed) or another model with GPT-2's vocabulary.
 */
@Command(name = "speculative", mixinStandardHelpOptions = true,
        description = "Decode with and without speculative decoding (draft: int8 self-draft or a smaller model), greedy or sampled")
final class SpeculativeBenchCommand extends BenchCommand.Common implements Runnable {
    @Option(names = "--model", description = "the target: a checkpoint directory or GGUF file (default: a random GPT-2 124M)") Path model;
    @Option(names = "--draft", defaultValue = "int8", description = "int8 or bf16 (the target's own weights, converted), or a model path (default ${DEFAULT-VALUE})") String draft;
    @Option(names = "--lookahead", split = ",", defaultValue = "4,8,12", description = "tokens drafted a round (default ${DEFAULT-VALUE})") int[] lookahead;
    @Option(names = "--tokens", defaultValue = "128", description = "tokens generated (default ${DEFAULT-VALUE})") int tokens;
    @Option(names = "--reps", defaultValue = "3", description = "timed runs of each path, in turn, after three warm-up runs of each; the best (default ${DEFAULT-VALUE})") int reps;
    @Option(names = "--temperature", defaultValue = "0", description = "0: greedy, outputs compared token for token; above 0: "
            + "sampled (seed 1), the same distribution but other draws (default ${DEFAULT-VALUE})") double temperature;
    @Option(names = "--prompt", defaultValue = "It was a dark and stormy night; the rain fell in torrents, except at occasional intervals, when it was checked by",
            description = "the prompt") String prompt;

    private static final int WARM_UP = 3;

    @Override
    public void run() {
        if (reps < 1) throw new ParameterException(new CommandLine(this), "--reps must be at least 1");
        try (CpuBackend be = new CpuBackend(threads)) {
            GptModel target = model != null ? ModelFiles.load(be, model.toAbsolutePath().normalize())
                    : preset(be);
            int[] ids = new BpeTokenizer(Encodings.gpt2()).encode(prompt);
            SamplingParams params = new SamplingParams(tokens, temperature, 0, 1, 1, Set.of());
            try (Decoder fp32 = Decoder.fp32(target); Decoder exact = Decoder.of(target, ServingWeights.FP32_PANELS);
                 Draft drafter = Draft.open(be, target, draft)) {
                // Warm-up runs of every path, then timed runs of every path in turn, the best of each: the JIT keeps
                // improving these paths for several runs (a round's draft passes took 1.6 s, then 1.2, 1.0, 0.9 over
                // four runs; a first lookahead timed after two runs of its own ran 20% slower than the same lookahead
                // timed after the others), a server runs warm, and taking turns spreads the machine's memory-bandwidth
                // swings over all paths alike.
                int[] plain = null;
                SpeculativeGenerator.Result[] spec = new SpeculativeGenerator.Result[lookahead.length];
                double plainRate = 0, fp32Rate = 0;
                double[] rate = new double[lookahead.length];
                for (int run = 0; run < WARM_UP + reps; run++) {
                    boolean timed = run >= WARM_UP;
                    long t0 = System.nanoTime();
                    int[] reference = new Generator(fp32).generate(ids, params, null);
                    long t1 = System.nanoTime();
                    plain = new Generator(exact).generate(ids, params, null);
                    long t2 = System.nanoTime();
                    if (timed) {
                        fp32Rate = Math.max(fp32Rate, reference.length / ((t1 - t0) / 1e9));
                        plainRate = Math.max(plainRate, plain.length / ((t2 - t1) / 1e9));
                    }
                    for (int i = 0; i < lookahead.length; i++) {
                        long s0 = System.nanoTime();
                        spec[i] = new SpeculativeGenerator(exact, drafter.decoder(), lookahead[i]).generate(ids, params, null);
                        if (timed) rate[i] = Math.max(rate[i], spec[i].tokens().length / ((System.nanoTime() - s0) / 1e9));
                    }
                }
                for (int i = 0; i < lookahead.length; i++) {
                    int k = lookahead[i];
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("bench", "speculative");
                    row.put("target", model == null ? "gpt2-124m (random)" : model.getFileName().toString());
                    row.put("draft", drafter.label());
                    row.put("lookahead", k);
                    row.put("tokens", spec[i].tokens().length);
                    row.put("plain_fp32_tokens_per_s", fp32Rate);
                    row.put("plain_tokens_per_s", plainRate); // the target's own weights: fp32 panels
                    row.put("speculative_tokens_per_s", rate[i]);
                    row.put("speedup", rate[i] / plainRate);
                    row.put("speedup_over_fp32", rate[i] / fp32Rate);
                    row.put("acceptance", spec[i].stats().acceptance());
                    row.put("tokens_per_target_step", (double) spec[i].tokens().length / spec[i].stats().targetSteps());
                    row.put("temperature", temperature);
                    row.put("identical_output", temperature > 0 ? "n/a (sampled)" : Arrays.equals(plain, spec[i].tokens()));
                    row(row);
                }
            } finally {
                target.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static GptModel preset(CpuBackend be) {
        GptModel m = new GptModel(be, GptConfig.preset("gpt2-124m").withTiedOutputHead(true));
        m.initialize(0);
        return m;
    }
}
