package dev.llmsuite.cli;

import dev.llmsuite.kafka.EmbeddedKafka;
import dev.llmsuite.records.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The whole suite on this machine: an embedded Kafka broker and the four services as separate JVMs, and
 * optionally more tokenizer, sampler and trainer replicas ({@code tokenizer-service-2}, {@code sampler-service-2},
 * {@code trainer-service-2}, ...), as several pods would run them: tokenizers share one consumer group
 * (corpus.documents with a partition per tokenizer), samplers one Kafka Streams application (corpus.tokens and sampling.specs
 * with a partition per sampler, a state folder each), trainers one consumer group (the batch topics with a
 * partition per trainer, one shared checkpoint folder). {@link #close()} stops them all, services first; a JVM
 * hook does the same on Ctrl-C.
 */
public final class LocalSuite implements AutoCloseable {
    /** The services in data-flow order, with the heap each gets locally. */
    public static final List<String> SERVICES = List.of(
            "tokenizer-service", "sampler-service", "trainer-service", "inference-service");
    private static final Map<String, String> HEAP = Map.of(
            "tokenizer-service", "512m", "sampler-service", "512m",
            "trainer-service", "3g", "inference-service", "1g");

    private final EmbeddedKafka kafka;
    private final Map<String, ServiceProcess> services = new LinkedHashMap<>();
    private final Thread hook = new Thread(this::stopAll, "suite-shutdown");
    private volatile boolean stopped;

    private LocalSuite(EmbeddedKafka kafka) {
        this.kafka = kafka;
    }

    /**
     * Starts the broker and every service, and returns once each answers ready on /q/health/ready.
     *
     * @param config extra system properties per service (by service name), on top of the wiring
     */
    public static LocalSuite start(Path root, int portBase, Path workDir, Map<String, Map<String, String>> config,
                                   Duration timeout, Consumer<String> progress) throws IOException {
        return start(root, portBase, workDir, config, Replicas.ONE, timeout, progress);
    }

    /** How many of each scalable service run (inference-service: one). */
    public record Replicas(int tokenizers, int samplers, int trainers) {
        public static final Replicas ONE = new Replicas(1, 1, 1);

        public Replicas {
            if (tokenizers < 1 || samplers < 1 || trainers < 1) throw new IllegalArgumentException("at least one of each");
        }

        int of(String service) {
            return switch (service) {
                case "tokenizer-service" -> tokenizers;
                case "sampler-service" -> samplers;
                case "trainer-service" -> trainers;
                default -> 1;
            };
        }
    }

    /**
     * As above, with more replicas: the first of each service on its usual port, the others from {@code portBase + 4}
     * onwards (the trainers' first, then the samplers', then the tokenizers').
     */
    public static LocalSuite start(Path root, int portBase, Path workDir, Map<String, Map<String, String>> config, Replicas replicas,
                                   Duration timeout, Consumer<String> progress) throws IOException {
        int samplers = replicas.samplers(), trainers = replicas.trainers(), tokenizers = replicas.tokenizers();
        for (int i = 0; i < SERVICES.size(); i++) ServiceProcess.requireFree(portBase + i, SERVICES.get(i));
        Map<String, Integer> replicaPorts = new LinkedHashMap<>();
        int next = portBase + SERVICES.size();
        for (int r = 2; r <= trainers; r++) replicaPorts.put("trainer-service-" + r, next++);
        for (int r = 2; r <= samplers; r++) replicaPorts.put("sampler-service-" + r, next++);
        for (int r = 2; r <= tokenizers; r++) replicaPorts.put("tokenizer-service-" + r, next++);
        for (var e : replicaPorts.entrySet()) ServiceProcess.requireFree(e.getValue(), e.getKey());
        long t0 = System.nanoTime();
        progress.accept("starting Apache Kafka (KRaft, embedded) ...");
        Map<String, Integer> partitions = new LinkedHashMap<>();
        if (trainers > 1) partitions.putAll(Map.of(Topics.TRAIN_BATCHES, trainers, Topics.VAL_BATCHES, trainers));
        if (samplers > 1) partitions.putAll(Map.of(Topics.TOKENS, samplers, Topics.SAMPLING_SPECS, samplers));
        if (tokenizers > 1) partitions.put(Topics.DOCUMENTS, tokenizers);
        EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Options.defaults().withTopics(Topics.ALL).withPartitionsOf(partitions));
        progress.accept(String.format("Kafka ready on %s (broker up in %d ms, %.1f s with JVM start)",
                kafka.bootstrapServers(), kafka.startMillis(), (System.nanoTime() - t0) / 1e9));
        LocalSuite suite = new LocalSuite(kafka);
        Runtime.getRuntime().addShutdownHook(suite.hook);
        try {
            for (int i = 0; i < SERVICES.size(); i++) {
                String name = SERVICES.get(i);
                Map<String, String> props = new LinkedHashMap<>();
                props.put("kafka.bootstrap.servers", kafka.bootstrapServers());
                if (name.equals("trainer-service")) {
                    props.put("llm.trainer.checkpoint-dir", workDir.resolve("checkpoints").toAbsolutePath().toString());
                }
                if (name.equals("inference-service")) { // the trainer's fine-tuning jobs write adapters there
                    props.put("llm.inference.adapter-dir", workDir.resolve("checkpoints").resolve("adapters").toAbsolutePath().toString());
                    props.put("llm.inference.checkpoint-dir", workDir.resolve("checkpoints").toAbsolutePath().toString());
                }
                props.putAll(config.getOrDefault(name, Map.of()));
                suite.services.put(name, ServiceProcess.start(root, name, portBase + i, HEAP.get(name), own(name, name, props, workDir),
                        workDir.resolve("logs")));
                for (int r = 2; r <= replicas.of(name); r++) {
                    String replica = name + "-" + r;
                    suite.services.put(replica, ServiceProcess.replica(root, name, replica, replicaPorts.get(replica),
                            HEAP.get(name), own(name, replica, props, workDir), workDir.resolve("logs")));
                }
            }
            suite.awaitHealthy(timeout, progress);
            progress.accept(String.format("all services ready in %.1f s", (System.nanoTime() - t0) / 1e9));
            return suite;
        } catch (IOException | RuntimeException e) {
            suite.close();
            throw e;
        }
    }

    /** A replica's own settings: a sampler keeps its Kafka Streams stores in a folder of its own. */
    private static Map<String, String> own(String service, String replica, Map<String, String> props, Path workDir) {
        if (!service.equals("sampler-service") || props.containsKey("llm.sampler.state-dir")) return props;
        Map<String, String> own = new LinkedHashMap<>(props);
        own.put("llm.sampler.state-dir", workDir.resolve("sampler-state").resolve(replica).toAbsolutePath().toString());
        return own;
    }

    private void awaitHealthy(Duration timeout, Consumer<String> progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> waiting = new ArrayList<>(services.keySet());
        while (!waiting.isEmpty()) {
            for (var it = waiting.iterator(); it.hasNext(); ) {
                ServiceProcess s = services.get(it.next());
                if (!s.isAlive()) {
                    throw new IllegalStateException(s.name + " exited during startup (log " + s.log + "): "
                            + lastErrorLine(s));
                }
                if (Http.get(s.url("/q/health/ready")).status() == 200) {
                    progress.accept(s.name + " ready on port " + s.port);
                    it.remove();
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not ready within " + timeout.toSeconds() + " s: " + waiting
                        + " (logs in " + services.get(waiting.get(0)).log.getParent() + ")");
            }
            sleep(250);
        }
    }

    private static String lastErrorLine(ServiceProcess s) {
        String tail = s.logTail(40);
        String found = null;
        for (String line : tail.split("\n")) if (line.contains("ERROR")) found = line;
        return found != null ? found.strip() : tail.lines().reduce((a, b) -> b).orElse("(empty log)");
    }

    public String bootstrapServers() { return kafka.bootstrapServers(); }

    /** The broker's process, for fault tests (pause it, and it answers nothing). */
    public long brokerPid() { return kafka.pid(); }

    /** Stops a service with SIGTERM and waits for it to exit (it shuts down gracefully). */
    public void stop(String service) {
        services.get(service).stop();
    }

    /** Kills a service with SIGKILL, as a crash would (for tests of recovery). */
    public void kill(String service) throws InterruptedException {
        services.get(service).kill();
    }

    /** Starts a stopped or killed service again with its configuration, and waits until it is ready. */
    public void restart(String service, Duration timeout) throws IOException {
        services.put(service, services.get(service).restart());
        long deadline = System.nanoTime() + timeout.toNanos();
        ServiceProcess s = services.get(service);
        while (Http.get(s.url("/q/health/ready")).status() != 200) {
            if (!s.isAlive()) throw new IllegalStateException(service + " exited during restart: " + lastErrorLine(s));
            if (System.nanoTime() > deadline) throw new IllegalStateException(service + " not ready within " + timeout.toSeconds() + " s");
            sleep(250);
        }
    }

    public String url(String service, String path) { return services.get(service).url(path); }

    /** The running instances of a service: its own name, then its replicas' ("trainer-service-2", ...). */
    public List<String> instances(String service) {
        return services.values().stream().filter(s -> s.service.equals(service)).map(s -> s.name).toList();
    }

    Map<String, ServiceProcess> services() { return services; }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
    }

    private synchronized void stopAll() {
        if (stopped) return;
        stopped = true;
        // In parallel: each service needs a moment to close its Kafka clients.
        List<Thread> stoppers = new ArrayList<>();
        for (ServiceProcess s : services.values()) stoppers.add(Thread.ofPlatform().start(s::stop));
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        kafka.close();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
