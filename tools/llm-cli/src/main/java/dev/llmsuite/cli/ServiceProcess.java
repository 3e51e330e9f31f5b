package dev.llmsuite.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One of the suite's services running as a child JVM, its output in a log file. {@code service} is the module
 * (which jar runs); {@code name} the instance ("trainer-service", or "trainer-service-2" for a second replica).
 */
final class ServiceProcess {
    final String service;
    final String name;
    final int port;
    final Path log;
    private final Process process;
    private final Path suiteRoot;
    private final String heap;
    private final Map<String, String> config;

    private ServiceProcess(String service, String name, int port, Path log, Process process, Path suiteRoot, String heap,
                           Map<String, String> config) {
        this.service = service;
        this.name = name;
        this.port = port;
        this.log = log;
        this.process = process;
        this.suiteRoot = suiteRoot;
        this.heap = heap;
        this.config = config;
    }

    /** The service's runnable jar, built by Maven under its module. */
    static Path runner(Path suiteRoot, String name) {
        return suiteRoot.resolve(name).resolve("target/quarkus-app/quarkus-run.jar");
    }

    static ServiceProcess start(Path suiteRoot, String name, int port, String heap, Map<String, String> config,
                                Path logDir) throws IOException {
        return start(suiteRoot, name, name, port, heap, config, logDir, false);
    }

    /** Another replica of a service: its own name (its log file) and port. */
    static ServiceProcess replica(Path suiteRoot, String service, String name, int port, String heap, Map<String, String> config,
                                  Path logDir) throws IOException {
        return start(suiteRoot, service, name, port, heap, config, logDir, false);
    }

    /** The same service started again (its log appended to), after it stopped or was killed. */
    ServiceProcess restart() throws IOException {
        if (process.isAlive()) throw new IllegalStateException(name + " is still running");
        return start(suiteRoot, service, name, port, heap, config, log.getParent(), true);
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed (a crash, as a test needs it). */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** The services that run the GPT engine, and so may run it on TornadoVM. */
    private static final Set<String> COMPUTES = Set.of("trainer-service", "inference-service");

    private static ServiceProcess start(Path suiteRoot, String service, String name, int port, String heap, Map<String, String> config,
                                        Path logDir, boolean appendLog) throws IOException {
        Path jar = runner(suiteRoot, service);
        if (!Files.exists(jar)) {
            throw new IllegalStateException(service + " is not built (" + jar + " missing); run ./mvnw package -DskipTests");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.add("-Xmx" + heap);
        String tornado = System.getenv("LLM_TORNADO_JVM_FLAGS"); // set by ./llm when the TornadoVM backend is asked for
        if (tornado != null && COMPUTES.contains(service)) {
            cmd.addAll(List.of(tornado.strip().split("\\s+"))); // the SDK's runtime, with its own collector
            cmd.add("-XX:MaxDirectMemorySize=64g"); // the device arena's host copy is direct memory: no cap below it
        } else {
            cmd.add("-XX:+UseSerialGC");
            if (COMPUTES.contains(service)) {
                // as ./llm runs the engine's commands: C2's fast loop shape for the kernels under SerialGC, and
                // arrays on cache lines so tensors can start on one (docs/benchmarks.md, "JVM flags")
                cmd.addAll(List.of("-XX:+UseCountedLoopSafepoints", "-XX:LoopStripMiningIter=1000", "-XX:ObjectAlignmentInBytes=64"));
            }
            // decode streams every weight once a token: huge pages where the kernel gives them on request (./llm's rule)
            if (service.equals("inference-service") && hugePagesOnRequest()) cmd.add("-XX:+UseTransparentHugePages");
        }
        cmd.add("-Dquarkus.http.port=" + port);
        // The service exits by itself if this CLI dies without stopping it (even on SIGKILL).
        cmd.add("-Dllm.process.parent-pid=" + ProcessHandle.current().pid());
        config.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(appendLog ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile()))
                .directory(suiteRoot.toFile()).start();
        return new ServiceProcess(service, name, port, log, p, suiteRoot, heap, Map.copyOf(config));
    }

    String url(String path) { return "http://127.0.0.1:" + port + path; }

    boolean isAlive() { return process.isAlive(); }

    long pid() { return process.pid(); }

    /** Resident memory from /proc, in MiB, or -1 where /proc is absent. */
    long residentMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux, or already gone
        }
        return -1;
    }

    /** The last lines of the log, for an error message. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    void stop() {
        if (!process.isAlive()) return;
        process.destroy(); // SIGTERM: Quarkus shuts down gracefully
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Fails with one line when a port the suite needs is taken. */
    static void requireFree(int port, String forWhat) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " (" + forWhat + ") is already in use; choose another with --port-base");
        }
    }

    /** Whether the kernel gives transparent huge pages to a process that asks (its mode is madvise). */
    static boolean hugePagesOnRequest() {
        try {
            return Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled")).contains("[madvise]");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
