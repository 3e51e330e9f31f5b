package dev.llmsuite.cli;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.PrefixCache;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench prefix}: time to the first token of a prompt made of a long shared beginning (a system prompt,
 * few-shot examples) and a short question, without and with the prefix cache, in the same run. The cache is primed
 * by one earlier question; every question is new to it. Both paths' logits are compared bit for bit. Beside them,
 * the same prompt as one pass of the training forward (how prefill ran before it went block by block).
 */
@Command(name = "prefix", mixinStandardHelpOptions = true,
        description = "Time to first token with and without the prefix cache (shared beginning + new question)")
final class PrefixBenchCommand extends BenchCommand.Common implements Runnable {
    @Option(names = "--preset", defaultValue = "gpt2-124m") String preset;
    @Option(names = "--prefix", defaultValue = "1000", description = "tokens of the shared beginning (default ${DEFAULT-VALUE})") int prefix;
    @Option(names = "--question", defaultValue = "20", description = "tokens of each question (default ${DEFAULT-VALUE})") int question;
    @Option(names = "--runs", defaultValue = "5", description = "questions timed (default ${DEFAULT-VALUE})") int runs;

    @Override
    public void run() {
        GptConfig cfg = GptConfig.preset(preset).withTiedOutputHead(true);
        if (prefix + question + 1 > cfg.contextLength()) throw new IllegalArgumentException("prefix + question must fit the context");
        Random r = new Random(1);
        int[] shared = new int[prefix];
        for (int i = 0; i < prefix; i++) shared[i] = r.nextInt(cfg.vocabSize());
        try (ComputeBackend be = backend()) {
            GptModel model = new GptModel(be, cfg);
            model.initialize(0);
            // each side's KV cache allocated once and reused, as a server's cache memory is: TTFT is the prefill
            try (Decoder plain = Decoder.fp32(model); Decoder cached = Decoder.fp32(model);
                 KvCache plainCache = new KvCache(be, cfg, prefix + question + 1); KvCache cachedCache = new KvCache(be, cfg, prefix + question + 1)) {
                cached.usePrefixCache(new PrefixCache(be, cfg, PrefixCache.blocksIn(512, cfg)));
                firstToken(cached, cachedCache, prompt(shared, r, cfg.vocabSize())); // primes the cache
                firstToken(plain, plainCache, prompt(shared, r, cfg.vocabSize())); // warms the JIT on the long path
                long without = Long.MAX_VALUE, with = Long.MAX_VALUE, onePass = Long.MAX_VALUE;
                boolean identical = true;
                for (int run = 0; run < runs; run++) {
                    int[] p = prompt(shared, r, cfg.vocabSize());
                    long t0 = System.nanoTime();
                    float[] a = firstToken(plain, plainCache, p);
                    long t1 = System.nanoTime();
                    float[] b = firstToken(cached, cachedCache, p);
                    long t2 = System.nanoTime();
                    model.forward(p, null, 1, p.length, false, 0); // the whole prompt as one training-forward pass
                    model.logitsAt(0, p.length - 1);
                    long t3 = System.nanoTime();
                    without = Math.min(without, t1 - t0);
                    with = Math.min(with, t2 - t1);
                    onePass = Math.min(onePass, t3 - t2);
                    identical &= Arrays.equals(a, b);
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("bench", "prefix");
                row.put("backend", be.name());
                row.put("preset", preset);
                row.put("prefix_tokens", prefix);
                row.put("question_tokens", question);
                row.put("ttft_ms_without_cache", without / 1e6);
                row.put("ttft_ms_with_cache", with / 1e6);
                row.put("speedup", (double) without / with);
                row.put("ttft_ms_one_pass_forward", onePass / 1e6); // how prefill ran before it went block by block
                row.put("logits_identical", identical);
                row(row);
            }
        }
    }

    /** The shared beginning and a question of random tokens (random: every question is new to the cache). */
    private int[] prompt(int[] shared, Random r, int vocabulary) {
        int[] p = Arrays.copyOf(shared, shared.length + question);
        for (int i = shared.length; i < p.length; i++) p[i] = r.nextInt(vocabulary);
        return p;
    }

    /** The logits after the prompt (what the first token is drawn from): prefill into the emptied cache. */
    private static float[] firstToken(Decoder decoder, KvCache cache, int[] prompt) {
        cache.setLength(0);
        return decoder.prefill(prompt, cache);
    }
}
