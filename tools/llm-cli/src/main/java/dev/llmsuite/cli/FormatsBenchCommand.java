package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.io.gguf.GgmlType;
import dev.llmsuite.engine.io.gguf.GgufCheckpoint;
import dev.llmsuite.engine.io.gguf.GgufVocabulary;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench formats}: batch-1 decode and prompt prefill for each of our weight formats beside its llama.cpp
 * counterpart, on the same GPT-2 weights (written to GGUF by {@code ./llm convert}'s writer), with PyTorch's
 * KV-cached fp32 decode and prefill beside fp32. Each side runs on --threads threads, one after the other.
 *
 * <pre>
 *   ours    llama.cpp   what both read per decoded token
 *   fp32    f32         4 bytes a weight
 *   bf16    bf16, f16   2 bytes a weight
 *   int8    q8_0        ~1.06 (ours: int8 + an fp32 scale per 64; q8_0: int8 + an f16 scale per 32)
 * </pre>
 */
@Command(name = "formats", mixinStandardHelpOptions = true,
        description = "Decode and prefill per weight format beside llama.cpp (f32, f16, bf16, q8_0) and PyTorch")
final class FormatsBenchCommand extends BenchCommand.Common implements Runnable {
    @Option(names = "--preset", defaultValue = "gpt2-124m") String preset;
    @Option(names = "--tokens", defaultValue = "64", description = "decoded tokens per run (default ${DEFAULT-VALUE})") int tokens;
    @Option(names = "--prompt", defaultValue = "256", description = "prompt tokens for prefill (default ${DEFAULT-VALUE})") int prompt;
    @Option(names = "--reps", defaultValue = "3", description = "llama-bench repetitions; ours: best of as many (default ${DEFAULT-VALUE})") int reps;
    @Option(names = "--llama-cpp", description = "llama.cpp's folder (llama-bench in it, bin/ or build/bin/); else LLAMA_CPP_HOME or PATH") Path llamaCpp;

    /** A row of the table: our format and llama.cpp's counterpart. */
    private record Pair(ServingWeights ours, GgmlType theirs) {}

    private static final List<Pair> PAIRS = List.of(new Pair(ServingWeights.FP32, GgmlType.F32), new Pair(ServingWeights.BF16, GgmlType.BF16),
            new Pair(ServingWeights.BF16, GgmlType.F16), new Pair(ServingWeights.INT8, GgmlType.Q8_0));

    @Override
    public void run() {
        if (tokens < 1 || prompt < 1 || reps < 1) throw new IllegalArgumentException("--tokens, --prompt and --reps must be positive");
        GptConfig cfg = GptConfig.preset(preset).withTiedOutputHead(true);
        if (prompt + 1 > cfg.contextLength() || tokens + 1 > cfg.contextLength()) throw new IllegalArgumentException("--prompt and --tokens must fit the context");
        LlamaCppPeer llama = LlamaCppPeer.find(llamaCpp);
        TorchPeer torch = peer();
        Path dir = null;
        try (CpuBackend be = new CpuBackend(threads); GptModel model = new GptModel(be, cfg)) {
            model.initialize(0);
            if (llama != null) {
                dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "bench-formats-");
                GgufVocabulary vocabulary = GgufTokenizers.of(Encodings.gpt2());
                for (Pair p : PAIRS) GgufCheckpoint.save(model, preset, p.theirs(), vocabulary, gguf(dir, p.theirs()));
            }
            for (Pair p : PAIRS) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("bench", "formats");
                row.put("preset", preset);
                row.put("ours", p.ours().label());
                row.put("llama_cpp", p.theirs().label());
                double oursDecode, oursPrefill;
                try (Decoder decoder = Decoder.of(model, p.ours())) {
                    oursDecode = bestOf(() -> BenchCommand.decodeRate(be, decoder, cfg, cfg.vocabSize() - 1, tokens));
                    oursPrefill = bestOf(() -> prefillRate(be, decoder, cfg));
                }
                LlamaCppPeer.Result theirDecode = llama == null ? null : llama.decode(gguf(dir, p.theirs()), tokens, threads, reps);
                LlamaCppPeer.Result theirPrefill = llama == null ? null : llama.prefill(gguf(dir, p.theirs()), prompt, threads, reps);
                row.put("decode_ours", oursDecode);
                row.put("decode_llama_cpp", theirDecode == null ? null : theirDecode.tokensPerS());
                row.put("decode_ratio", BenchCommand.ratio(oursDecode, theirDecode == null ? null : theirDecode.tokensPerS()));
                row.put("prefill_ours", oursPrefill);
                row.put("prefill_llama_cpp", theirPrefill == null ? null : theirPrefill.tokensPerS());
                row.put("prefill_ratio", BenchCommand.ratio(oursPrefill, theirPrefill == null ? null : theirPrefill.tokensPerS()));
                if (p.ours() == ServingWeights.FP32 && torch != null) {
                    JsonNode d = torch.run("decode", "--preset", preset, "--tokens", "" + tokens, "--threads", "" + threads).getFirst();
                    JsonNode f = torch.run("prefill", "--preset", preset, "--prompt", "" + prompt, "--threads", "" + threads).getFirst();
                    row.put("decode_torch", d.get("tokens_per_s").asDouble());
                    row.put("prefill_torch", f.get("tokens_per_s").asDouble());
                }
                if (theirDecode != null) row.put("llama_cpp_build", theirDecode.build());
                row(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (dir != null) deleteAll(dir);
        }
    }

    private static Path gguf(Path dir, GgmlType type) { return dir.resolve(type.label() + ".gguf"); }

    private double bestOf(DoubleSupplier rate) {
        rate.getAsDouble(); // warm-up
        double best = 0;
        for (int i = 0; i < reps; i++) best = Math.max(best, rate.getAsDouble());
        return best;
    }

    /** A --prompt-token prompt to the logits of its last position (tokens/s), as llama-bench's pp. */
    private double prefillRate(CpuBackend be, Decoder decoder, GptConfig cfg) {
        int[] ids = new Random(prompt).ints(prompt, 0, cfg.vocabSize()).toArray();
        try (KvCache cache = new KvCache(be, cfg, prompt + 1)) {
            long t0 = System.nanoTime();
            decoder.prefill(ids, cache);
            return prompt / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static void deleteAll(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
