package dev.llmsuite.cli;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.generate.json.JsonConstraint;
import dev.llmsuite.engine.generate.json.JsonGrammar;
import dev.llmsuite.engine.generate.json.SchemaNode;
import dev.llmsuite.engine.generate.json.TokenTrie;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.Json;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench structured}: the time per token of JSON-schema constrained decoding beside unconstrained decoding
 * of the same model in the same run (GPT-2 124M, random weights, sampled at temperature 1 with one seed per run):
 * with the grammar's masks cold (a schema seen for the first time: each new state walks the vocabulary's trie) and
 * warm (the schema seen before, as every later request that sends it).
 */
@Command(name = "structured", mixinStandardHelpOptions = true,
        description = "Time per token of JSON-schema constrained decoding beside free decoding (GPT-2 124M, random weights)")
final class StructuredBenchCommand extends BenchCommand.Common implements Runnable {
    static final String SCHEMA = """
            {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
             "email": {"type": ["string", "null"]}, "tags": {"type": "array", "items": {"type": "string"}},
             "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "number"}},
                         "required": ["city", "zip"]}},
             "required": ["name", "age", "email", "tags", "address"]}""";

    @Option(names = "--preset", defaultValue = "gpt2-124m") String preset;
    @Option(names = "--tokens", defaultValue = "96", description = "max_tokens of each answer (default ${DEFAULT-VALUE})") int tokens;
    @Option(names = "--runs", defaultValue = "5", description = "answers per variant (default ${DEFAULT-VALUE})") int runs;

    @Override
    public void run() {
        GptConfig cfg = GptConfig.preset(preset).withTiedOutputHead(true);
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        byte[][] vocabulary = new byte[cfg.vocabSize()][];
        for (int id = 0; id < vocabulary.length; id++) vocabulary[id] = gpt2.vocabulary().tokenBytes(id);
        long t0 = System.nanoTime();
        TokenTrie trie = new TokenTrie(vocabulary);
        double trieMs = (System.nanoTime() - t0) / 1e6;
        int[] prompt = gpt2.encode("Describe a person as JSON:");
        try (ComputeBackend be = backend()) {
            GptModel model = new GptModel(be, cfg);
            model.initialize(0);
            Decoder decoder = Decoder.fp32(model);
            answer(decoder, be, cfg, prompt, null, 0); // warm the JIT
            double free = 0, cold = 0, warm = 0;
            long freeTokens = 0, coldTokens = 0, warmTokens = 0;
            for (int run = 0; run < runs; run++) {
                JsonGrammar fresh = new JsonGrammar(SchemaNode.compile(Json.parse(SCHEMA)), trie, Gpt2.END_OF_TEXT);
                long[] c = answer(decoder, be, cfg, prompt, fresh, run);
                long[] w = answer(decoder, be, cfg, prompt, fresh, run); // the same schema again: its masks are cached
                long[] f = answer(decoder, be, cfg, prompt, null, run);
                cold += c[1];
                coldTokens += c[0];
                warm += w[1];
                warmTokens += w[0];
                free += f[1];
                freeTokens += f[0];
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("bench", "structured");
            row.put("backend", be.name());
            row.put("preset", preset);
            row.put("trie_build_ms", trieMs);
            row.put("free_ms_per_token", free / 1e6 / freeTokens);
            row.put("json_cold_ms_per_token", cold / 1e6 / coldTokens);
            row.put("json_warm_ms_per_token", warm / 1e6 / warmTokens);
            row.put("warm_vs_free", String.format("%.3f", (warm / warmTokens) / (free / freeTokens)));
            row.put("json_tokens_per_answer", (double) warmTokens / runs);
            row(row);
        }
    }

    /** One answer of at most {@code tokens} tokens after the prompt: {tokens made, nanoseconds}. */
    private long[] answer(Decoder decoder, ComputeBackend be, GptConfig cfg, int[] prompt, JsonGrammar grammar, long seed) {
        TokenSampler sampler = new TokenSampler(new SamplingParams(tokens, 1.0, 0, 1.0, seed, Set.of(Gpt2.END_OF_TEXT)));
        JsonConstraint constraint = grammar == null ? null : grammar.constraint();
        try (KvCache cache = new KvCache(be, cfg, prompt.length + tokens)) {
            float[] logits = decoder.prefill(prompt, cache);
            long t0 = System.nanoTime();
            int made = 0;
            while (made < tokens) {
                int token = constraint == null ? sampler.next(logits) : constraint.next(logits, sampler, tokens - made);
                made++;
                if (constraint != null && (constraint.complete() || token == Gpt2.END_OF_TEXT)) break;
                if (made < tokens) logits = decoder.decode(token, cache);
            }
            return new long[] {made, System.nanoTime() - t0};
        }
    }
}
