package dev.llmsuite.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./llm bench load}: many streaming clients against a running inference-service (loopback only):
 * latency percentiles, time to first token, aggregate tokens/s, and every status seen. Bounded in
 * requests and time; it stops by itself.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Concurrent streaming completions against a running inference-service on this machine.")
final class LoadCommand implements Runnable {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8084") String url;
    @Option(names = "--model", required = true) String model;
    @Option(names = "--clients", defaultValue = "64") int clients;
    @Option(names = "--requests", defaultValue = "256", description = "requests in all") int requests;
    @Option(names = "--max-tokens", defaultValue = "32") int maxTokens;
    @Option(names = "--timeout", defaultValue = "600", description = "seconds before giving up") int timeoutSeconds;

    public void run() {
        if (!URI.create(url).getHost().matches("127\\.\\d+\\.\\d+\\.\\d+|localhost|\\[::1]")) {
            throw new IllegalArgumentException("load is only sent to this machine (loopback), not " + url);
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Long> firstTokens = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicLong tokens = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> workers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            workers.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < requests && System.nanoTime() < deadline) {
                    String body = "{\"model\": \"" + model + "\", \"prompt\": \"Request " + i + " says\", \"max_tokens\": "
                            + maxTokens + ", \"temperature\": 0.8, \"seed\": " + i + ", \"stream\": true}";
                    long start = System.nanoTime();
                    try {
                        HttpResponse<Stream<String>> r = http.send(Http.request(url + "/v1/completions")
                                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                                HttpResponse.BodyHandlers.ofLines());
                        statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                        long[] first = {0};
                        r.body().forEach(line -> {
                            if (line.startsWith("data: {") && line.contains("\"finish_reason\":null")) {
                                if (first[0] == 0) first[0] = System.nanoTime();
                                tokens.incrementAndGet();
                            }
                        });
                        if (r.statusCode() == 200) {
                            latencies.add(System.nanoTime() - start);
                            if (first[0] != 0) firstTokens.add(first[0] - start);
                        } else if (r.statusCode() == 429) {
                            Thread.sleep(200); // honour Retry-After loosely: back off and try the next request
                        }
                    } catch (Exception e) {
                        statuses.computeIfAbsent(-1, k -> new AtomicInteger()).incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            try {
                w.get();
            } catch (Exception ignored) {
                // counted as a status above
            }
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("clients %d, requests %d, %.1f s, statuses %s%n", clients, requests, seconds, statuses);
        System.out.printf("latency p50 %.2f s p99 %.2f s; first token p50 %.2f s p99 %.2f s%n",
                pct(latencies, 50), pct(latencies, 99), pct(firstTokens, 50), pct(firstTokens, 99));
        System.out.printf("aggregate %.1f streamed pieces/s (%d in all)%n", tokens.get() / seconds, tokens.get());
    }

    private static double pct(List<Long> nanos, int p) {
        if (nanos.isEmpty()) return Double.NaN;
        List<Long> s = new ArrayList<>(nanos);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1)) / 1e9;
    }
}
