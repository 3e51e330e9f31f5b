import dev.llmsuite.kafka.EmbeddedKafka;
import dev.llmsuite.records.Topics;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The smoke test of a native executable (native-check.sh): it starts against the embedded broker, answers
 * /q/health/ready, and serves one real request of its service correctly; then the figures docs/benchmarks.md
 * keeps: time to ready, resident memory idle and after 1,000 requests, requests per second.
 * Usage: java -cp tools/llm-cli/target/llm-cli.jar NativeSmoke.java SERVICE EXECUTABLE
 */
public class NativeSmoke {
    record Request(String path, String body, String expect) {}

    static Request requestFor(String service) {
        return switch (service) {
            // GPT-2's ids for "Hello, world": tiktoken's gpt2 gives 15496, 11, 995
            case "tokenizer-service" -> new Request("/v1/tokenize", "{\"text\": \"Hello, world\"}", "\"ids\":[15496,11,995]");
            default -> throw new IllegalArgumentException("no smoke request for " + service + " yet");
        };
    }

    public static void main(String[] args) throws Exception {
        String service = args[0];
        Path executable = Path.of(args[1]);
        Request request = requestFor(service);
        HttpClient http = HttpClient.newHttpClient();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.Options.defaults().withTopics(Topics.ALL))) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path log = executable.resolveSibling(service + "-smoke.log");
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(executable.toString(), "-Dkafka.bootstrap.servers=" + kafka.bootstrapServers(),
                    "-Dquarkus.http.port=" + port).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                String base = "http://127.0.0.1:" + port;
                while (status(http, base + "/q/health/ready") != 200) {
                    if (!p.isAlive()) throw new IllegalStateException(service + " exited: " + Files.readString(log));
                    if (System.nanoTime() - t0 > Duration.ofSeconds(60).toNanos()) throw new IllegalStateException("not ready in 60 s");
                    Thread.sleep(5);
                }
                double ready = (System.nanoTime() - t0) / 1e9;
                long idle = rssKiB(p.pid());
                String answer = post(http, base + request.path(), request.body());
                if (!answer.replace(" ", "").contains(request.expect())) {
                    throw new IllegalStateException("unexpected answer to " + request.path() + ": " + answer);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < 1000; i++) post(http, base + request.path(), request.body());
                double perSecond = 1000 / ((System.nanoTime() - t1) / 1e9);
                System.out.printf("service=%s ready_s=%.3f rss_idle_mib=%d rss_after_1000_mib=%d requests_per_s=%.0f smoke=passed%n",
                        service, ready, idle / 1024, rssKiB(p.pid()) / 1024, perSecond);
            } finally {
                p.destroy();
                p.waitFor();
            }
        }
    }

    static int status(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static String post(HttpClient http, String url, String json) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        return r.body();
    }

    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", ""));
        }
        return -1;
    }
}
