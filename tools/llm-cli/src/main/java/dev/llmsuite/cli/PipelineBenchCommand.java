package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench pipeline}: tokens per second through each stage of the suite on one corpus (one
 * document per line), on the embedded broker: how fast tokenizer-service and sampler-service turn text
 * into batches beside how fast trainer-service consumes them. With {@code --trainers N --datasets D} the
 * documents are dealt into D datasets, one job each, trained by N trainer replicas in one consumer group:
 * the trainers' aggregate rate, from the first step to the last job's end.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Tokens/s through tokenizer, sampler and trainer(s) on a corpus (one document per line).")
final class PipelineBenchCommand extends BenchCommand.Common implements Runnable {
    @Option(names = "--corpus", required = true, description = "UTF-8 text, one document per line") Path corpus;
    @Option(names = "--steps", defaultValue = "40", description = "training steps per job (default ${DEFAULT-VALUE})") int steps;
    @Option(names = "--port-base", defaultValue = "18181") int portBase;
    @Option(names = "--trainers", defaultValue = "1", description = "trainer replicas (default ${DEFAULT-VALUE})") int trainers;
    @Option(names = "--samplers", defaultValue = "1", description = "sampler replicas (default ${DEFAULT-VALUE})") int samplers;
    @Option(names = "--datasets", defaultValue = "1", description = "datasets the documents are dealt into, one job each (default ${DEFAULT-VALUE})")
    int datasets;
    @Option(names = "--preset", description = "the jobs' model (a GptConfig preset, e.g. small); default: the trainer's configured model")
    String preset;

    public void run() {
        if (trainers < 1 || samplers < 1 || datasets < 1) {
            throw new IllegalArgumentException("--trainers, --samplers and --datasets must be at least 1");
        }
        Path root = Path.of(System.getProperty("llm.home", ".")).toAbsolutePath().normalize();
        Path work = root.resolve("work/bench-pipeline-" + UUID.randomUUID());
        try {
            List<String> docs = Files.readAllLines(corpus).stream().filter(l -> !l.isBlank()).toList();
            Map<String, Map<String, String>> config = Map.of(
                    "sampler-service", Map.of("llm.sampler.end-of-data-after", "1s"),
                    "trainer-service", Map.of("llm.trainer.auto-jobs", "false", "llm.trainer.checkpoint-every-batches", "1000000",
                            "llm.trainer.threads", "" + threads));
            List<String> names = datasetNames();
            try (LocalSuite suite = LocalSuite.start(root, portBase, work, config, new LocalSuite.Replicas(1, samplers, trainers), Duration.ofSeconds(120), l -> {})) {
                for (String d : names) {
                    post(suite.url("sampler-service", "/v1/datasets/" + d + "/sampling"),
                            Map.of("maxLength", 256, "stride", 256, "batchSize", 8, "shuffleBuffer", 1000, "seed", 1));
                    Map<String, Object> job = new LinkedHashMap<>(Map.of("id", d, "dataset", d, "maxSteps", steps,
                            "checkpointEvery", 1_000_000, "evalEvery", 1_000_000));
                    if (preset != null) job.put("preset", preset);
                    post(suite.url("trainer-service", "/v1/jobs"), job);
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < docs.size(); i++) {
                    post(suite.url("tokenizer-service", "/v1/datasets/" + names.get(i % names.size()) + "/documents"),
                            Map.of("id", "doc-" + i, "text", docs.get(i)));
                }
                double tokenizedAt = 0, sampledAt = 0, tokens = 0, windows = -1, firstStepAt = 0, trainedAt = 0;
                long trainedWhenSampled = -1; // tokens the trainers had trained when the sampler finished
                long lastWindowChange = t0;
                while (sampledAt == 0 || trainedAt == 0) {
                    double now = (System.nanoTime() - t0) / 1e9;
                    if (sampledAt == 0) {
                        String tok = Http.get(suite.url("tokenizer-service", "/q/metrics")).body();
                        tokens = Http.metric(tok, "llm_tokenizer_tokens_total");
                        if (tokenizedAt == 0 && Http.metric(tok, "llm_tokenizer_documents_total{outcome=\"tokenized\"}") >= docs.size()) {
                            tokenizedAt = now;
                        }
                        double w = 0;
                        boolean done = true;
                        for (String d : names) {
                            JsonNode s = Http.get(suite.url("sampler-service", "/v1/datasets/" + d + "/sampling")).json();
                            w += s.path("windows").asDouble();
                            done &= "done".equals(s.path("state").asText());
                        }
                        if (w != windows) {
                            windows = w;
                            lastWindowChange = System.nanoTime();
                        }
                        if (tokenizedAt > 0 && done) sampledAt = (lastWindowChange - t0) / 1e9;
                    }
                    JsonNode jobs = Http.get(suite.url("trainer-service", "/v1/jobs")).json();
                    long stepped = 0, completed = 0, trainedSoFar = 0;
                    for (JsonNode j : jobs) {
                        if (j.path("step").asLong() > 0) stepped++;
                        if ("completed".equals(j.path("state").asText())) completed++;
                        trainedSoFar += j.path("tokens").asLong();
                    }
                    if (firstStepAt == 0 && stepped > 0) firstStepAt = now;
                    if (sampledAt > 0 && trainedWhenSampled < 0) trainedWhenSampled = trainedSoFar;
                    if (completed == names.size()) trainedAt = now;
                    LocalSuite.sleep(250);
                }
                JsonNode jobs = Http.get(suite.url("trainer-service", "/v1/jobs")).json();
                long trained = 0;
                for (JsonNode j : jobs) trained += j.path("tokens").asLong();
                double trainerSeconds = trainedAt - firstStepAt;
                row(ordered("tokenizer-service", (long) tokens, tokenizedAt, tokens / tokenizedAt));
                row(ordered("sampler-service", (long) windows * 256, sampledAt, windows * 256 / sampledAt));
                row(ordered(trainers + " trainer-service, " + names.size() + " jobs (first step to last)", trained, trainerSeconds,
                        trained / trainerSeconds));
                // Once the Kafka stages are done the trainers have the cores to themselves: the scaling figure.
                double steadySeconds = trainedAt - sampledAt;
                if (trainedWhenSampled >= 0 && steadySeconds > 0) {
                    row(ordered(trainers + " trainer-service, " + names.size() + " jobs (after sampling)", trained - trainedWhenSampled,
                            steadySeconds, (trained - trainedWhenSampled) / steadySeconds));
                }
                System.out.printf("documents %d in %d datasets; Kafka stages %.0fx faster than the trainers consume (tokenizer+sampler end to end: %.0f tok/s)%n",
                        docs.size(), names.size(), tokens / sampledAt / (trained / trainerSeconds), tokens / sampledAt);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Dataset names whose batches land on partitions 0, 1, ... of the batch topics in turn (one per trainer). */
    private List<String> datasetNames() {
        List<String> names = new ArrayList<>();
        for (int k = 0, i = 0; k < datasets; i++) {
            String name = "bench-" + i;
            if (Utils.toPositive(Utils.murmur2(name.getBytes(StandardCharsets.UTF_8))) % trainers == k % trainers) {
                names.add(name);
                k++;
            }
        }
        return names;
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
