package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench pipeline}: tokens per second through each stage of the suite on one corpus (one
 * document per line), on the embedded broker: how fast tokenizer-service and sampler-service turn text
 * into batches beside how fast trainer-service consumes them.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Tokens/s through tokenizer, sampler and trainer on a corpus (one document per line).")
final class PipelineBenchCommand extends BenchCommand.Common implements Runnable {
    @Option(names = "--corpus", required = true, description = "UTF-8 text, one document per line") Path corpus;
    @Option(names = "--steps", defaultValue = "40", description = "training steps to time (default ${DEFAULT-VALUE})") int steps;
    @Option(names = "--port-base", defaultValue = "18181") int portBase;

    public void run() {
        Path root = Path.of(System.getProperty("llm.home", ".")).toAbsolutePath().normalize();
        Path work = root.resolve("work/bench-pipeline-" + UUID.randomUUID());
        try {
            List<String> docs = Files.readAllLines(corpus).stream().filter(l -> !l.isBlank()).toList();
            Map<String, Map<String, String>> config = Map.of(
                    "sampler-service", Map.of("llm.sampler.end-of-data-after", "1s"),
                    "trainer-service", Map.of("llm.trainer.auto-jobs", "false", "llm.trainer.checkpoint-every-batches", "1000000",
                            "llm.trainer.threads", "" + threads));
            try (LocalSuite suite = LocalSuite.start(root, portBase, work, config, Duration.ofSeconds(120), l -> {})) {
                post(suite.url("sampler-service", "/v1/datasets/bench/sampling"),
                        Map.of("maxLength", 256, "stride", 256, "batchSize", 8, "shuffleBuffer", 1000, "seed", 1));
                post(suite.url("trainer-service", "/v1/jobs"), Map.of("id", "bench", "dataset", "bench", "maxSteps", steps,
                        "checkpointEvery", 1_000_000, "evalEvery", 1_000_000));
                long t0 = System.nanoTime();
                for (int i = 0; i < docs.size(); i++) {
                    post(suite.url("tokenizer-service", "/v1/datasets/bench/documents"), Map.of("id", "doc-" + i, "text", docs.get(i)));
                }
                double tokenizedAt = 0, sampledAt = 0;
                double tokens = 0, windows = -1;
                long lastWindowChange = t0;
                while (true) {
                    String tok = Http.get(suite.url("tokenizer-service", "/q/metrics")).body();
                    double done = Http.metric(tok, "llm_tokenizer_documents_total{outcome=\"tokenized\"}");
                    tokens = Http.metric(tok, "llm_tokenizer_tokens_total");
                    if (tokenizedAt == 0 && done >= docs.size()) tokenizedAt = (System.nanoTime() - t0) / 1e9;
                    JsonNode s = Http.get(suite.url("sampler-service", "/v1/datasets/bench/sampling")).json();
                    double w = s.path("windows").asDouble();
                    if (w != windows) {
                        windows = w;
                        lastWindowChange = System.nanoTime();
                    }
                    if (tokenizedAt > 0 && "done".equals(s.path("state").asText())) {
                        sampledAt = (lastWindowChange - t0) / 1e9;
                        break;
                    }
                    LocalSuite.sleep(50);
                }
                JsonNode job;
                while (!(job = Http.get(suite.url("trainer-service", "/v1/jobs/bench")).json()).path("state").asText().equals("completed")) {
                    LocalSuite.sleep(500);
                }
                double trainerRate = job.path("tokensPerSecond").asDouble();
                row(ordered("tokenizer-service", (long) tokens, tokenizedAt, tokens / tokenizedAt));
                row(ordered("sampler-service", (long) windows * 256, sampledAt, windows * 256 / sampledAt));
                row(ordered("trainer-service", job.path("tokens").asLong(), job.path("tokens").asDouble() / trainerRate, trainerRate));
                System.out.printf("documents %d; Kafka stages %.0fx faster than the trainer consumes (tokenizer+sampler end to end: %.0f tok/s)%n",
                        docs.size(), tokens / sampledAt / trainerRate, tokens / sampledAt);
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private static Map<String, Object> ordered(String stage, long tokens, double seconds, double rate) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stage", stage);
        m.put("tokens", tokens);
        m.put("seconds", seconds);
        m.put("tokens_per_s", rate);
        return m;
    }

    private static void post(String url, Object body) {
        Http.Reply r = Http.postJson(url, body);
        if (r.status() / 100 != 2) throw new IllegalStateException(url + " answered " + r.status() + ": " + r.body());
    }
}
