package dev.llmsuite.kafka;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A real Kafka broker in a child JVM, seen from the parent. Uses only JDK types, so a Quarkus test or
 * the CLI can load it without Kafka's server jars on their own classpath.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Options.defaults())) {
 *     String bootstrap = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {

    /**
     * How to start the broker. {@code port} 0 picks a free port; each topic gets {@code partitions} partitions
     * unless {@code partitionsOf} names it.
     */
    public record Options(int port, List<String> topics, int partitions, Map<String, Integer> partitionsOf,
                          Duration startTimeout, long heapMb) {
        public static Options defaults() {
            return new Options(0, List.of(), 1, Map.of(), Duration.ofSeconds(90), 384);
        }

        public Options withPort(int p) { return new Options(p, topics, partitions, partitionsOf, startTimeout, heapMb); }
        public Options withTopics(List<String> t) { return new Options(port, List.copyOf(t), partitions, partitionsOf, startTimeout, heapMb); }
        public Options withPartitions(int n) { return new Options(port, topics, n, partitionsOf, startTimeout, heapMb); }

        /** These topics with these partition counts (the others keep {@link #partitions}). */
        public Options withPartitionsOf(Map<String, Integer> counts) {
            return new Options(port, topics, partitions, Map.copyOf(counts), startTimeout, heapMb);
        }

        /** The --topics argument: each topic as NAME or NAME:PARTITIONS. */
        String topicsArgument() {
            return String.join(",", topics.stream().map(t -> partitionsOf.containsKey(t) ? t + ":" + partitionsOf.get(t) : t).toList());
        }
    }

    private final Process process;
    private final Path workDir;
    private final String bootstrapServers;
    private final long startMillis;

    private EmbeddedKafka(Process process, Path workDir, String bootstrapServers, long startMillis) {
        this.process = process;
        this.workDir = workDir;
        this.bootstrapServers = bootstrapServers;
        this.startMillis = startMillis;
    }

    /** Starts the broker and returns once it accepts clients and every topic exists. */
    public static EmbeddedKafka start(Options options) {
        Path workDir;
        try {
            workDir = Files.createTempDirectory("llm-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for Kafka", e);
        }
        Path brokerLog = workDir.resolve("broker.log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + options.heapMb() + "m");
        cmd.add("-Xss1m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(KafkaBrokerMain.class.getName());
        cmd.add("--port");
        cmd.add(Integer.toString(options.port()));
        cmd.add("--log-dir");
        cmd.add(workDir.resolve("data").toString());
        cmd.add("--topics");
        cmd.add(options.topicsArgument());
        cmd.add("--partitions");
        cmd.add(Integer.toString(options.partitions()));

        Process p;
        try {
            p = new ProcessBuilder(cmd)
                    .redirectError(brokerLog.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE) // kept open: its EOF tells the broker we died
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Kafka broker JVM", e);
        }
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> readReadyLine(p));
        try {
            String line = ready.get(options.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
            if (line == null || line.startsWith(KafkaBrokerMain.FAILED)) {
                String why = line == null ? "the broker exited (see " + brokerLog + ")"
                        : line.substring(KafkaBrokerMain.FAILED.length());
                destroy(p);
                throw new IllegalStateException("Kafka broker failed to start: " + why);
            }
            // READY bootstrap=127.0.0.1:PORT ms=N
            String[] parts = line.substring(KafkaBrokerMain.READY.length()).split(" ms=");
            return new EmbeddedKafka(p, workDir, parts[0], Long.parseLong(parts[1].trim()));
        } catch (TimeoutException e) {
            destroy(p);
            throw new IllegalStateException("Kafka broker did not start within " + options.startTimeout().toSeconds()
                    + " s (see " + brokerLog + ")");
        } catch (InterruptedException e) {
            destroy(p);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Kafka");
        } catch (ExecutionException e) {
            destroy(p);
            throw new IllegalStateException("Kafka broker failed to start: " + e.getCause().getMessage());
        }
    }

    public String bootstrapServers() { return bootstrapServers; }

    /** Wall time the child took from its main() to READY (format, start, topics). */
    public long startMillis() { return startMillis; }

    public long pid() { return process.pid(); }

    public boolean isAlive() { return process.isAlive(); }

    /** Stops the broker (SIGTERM, then SIGKILL after 20 s) and deletes its log directory. */
    @Override
    public void close() {
        destroy(process);
        deleteTree(workDir);
    }

    private static String readReadyLine(Process p) {
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(KafkaBrokerMain.READY) || line.startsWith(KafkaBrokerMain.FAILED)) return line;
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void destroy(Process p) {
        if (!p.isAlive()) return;
        p.destroy();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans what we could not
        }
    }

    /** This jar (or classes directory) plus the broker's runtime dependencies recorded at build time. */
    static String classpath() {
        try {
            String self = Path.of(EmbeddedKafka.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
            var in = EmbeddedKafka.class.getResourceAsStream("/META-INF/embedded-kafka/classpath.txt");
            if (in == null) throw new IllegalStateException("embedded-kafka was built without its classpath file");
            String deps;
            try (in) {
                deps = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            for (String jar : deps.split(File.pathSeparator)) {
                if (!Files.exists(Path.of(jar))) {
                    throw new IllegalStateException("a Kafka jar is missing from the local Maven repository: " + jar
                            + " (rebuild with ./mvnw install -pl tools/embedded-kafka)");
                }
            }
            return self + File.pathSeparator + deps;
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("cannot locate the embedded-kafka jar", e);
        }
    }
}
