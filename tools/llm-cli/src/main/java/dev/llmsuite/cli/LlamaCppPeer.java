package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's {@code llama-bench} as a benchmark peer: prompt processing (pp N) and token generation (tg N) of a GGUF
 * file, one JSON line per test. llama.cpp is not on any registry here: a user builds it from its public source
 * (docs/benchmarks.md says how) and names its folder with {@code --llama-cpp} or {@code LLAMA_CPP_HOME}.
 */
final class LlamaCppPeer {
    private final Path bench;

    private LlamaCppPeer(Path bench) { this.bench = bench; }

    /** The peer found in dir (its bin/ or build/bin/), LLAMA_CPP_HOME, or on PATH; null with the reason printed. */
    static LlamaCppPeer find(Path dir) {
        List<Path> candidates = new ArrayList<>();
        String home = System.getenv("LLAMA_CPP_HOME");
        for (Path root : new Path[] {dir, home == null ? null : Path.of(home)}) {
            if (root == null) continue;
            for (String sub : List.of("", "bin", "build/bin")) candidates.add(root.resolve(sub).resolve("llama-bench"));
        }
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) if (!p.isEmpty()) candidates.add(Path.of(p, "llama-bench"));
        for (Path c : candidates) if (Files.isExecutable(c)) return new LlamaCppPeer(c);
        System.err.println("llama.cpp peer skipped: no llama-bench in --llama-cpp, LLAMA_CPP_HOME or PATH (build llama.cpp: docs/benchmarks.md)");
        return null;
    }

    /** One measurement: tokens per second, llama.cpp's build. */
    record Result(double tokensPerS, String build) {}

    /** Prompt processing of promptTokens (tokens/s). */
    Result prefill(Path gguf, int promptTokens, int threads, int reps) {
        return run(gguf, List.of("-p", "" + promptTokens, "-n", "0"), threads, reps);
    }

    /** Token generation of tokens after an empty context (tokens/s), batch 1. */
    Result decode(Path gguf, int tokens, int threads, int reps) {
        return run(gguf, List.of("-p", "0", "-n", "" + tokens), threads, reps);
    }

    private Result run(Path gguf, List<String> test, int threads, int reps) {
        List<String> cmd = new ArrayList<>(List.of(bench.toString(), "-m", gguf.toString(), "-t", "" + threads, "-r", "" + reps, "-o", "jsonl"));
        cmd.addAll(test);
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            JsonNode row = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) if (line.startsWith("{")) row = Http.JSON.readTree(line);
            }
            if (p.waitFor() != 0 || row == null) throw new IllegalStateException("llama-bench exited with " + p.exitValue() + " on " + gguf);
            return new Result(row.get("avg_ts").asDouble(), row.path("build_commit").asText() + " (b" + row.path("build_number").asText() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("the llama.cpp peer failed: " + e.getMessage(), e);
        }
    }
}
