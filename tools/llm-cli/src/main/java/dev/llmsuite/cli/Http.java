package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/** The few HTTP calls the CLI makes to the local services, on the JDK's client. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Http() {}

    /** Status and body, or status -1 when nothing answers. */
    record Reply(int status, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON: " + body);
            }
        }
    }

    /**
     * The services the CLI starts take their API keys from LLM_AUTH_API_KEYS, as deployed ones do: with keys
     * set, its own calls (readiness polls, the demo's requests) send the first one.
     */
    static HttpRequest.Builder request(String url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        apiKey(System.getenv()).ifPresent(key -> b.header("Authorization", "Bearer " + key));
        return b;
    }

    /** The first of the comma-separated keys in LLM_AUTH_API_KEYS, if any. */
    static Optional<String> apiKey(Map<String, String> env) {
        String keys = env.getOrDefault("LLM_AUTH_API_KEYS", "");
        return Arrays.stream(keys.split(",")).map(String::strip).filter(k -> !k.isEmpty()).findFirst();
    }

    static Reply get(String url) {
        return send(request(url).timeout(Duration.ofSeconds(10)).GET().build());
    }

    static Reply postJson(String url, Object body) {
        try {
            return send(request(url).timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Reply send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body());
        } catch (IOException e) {
            return new Reply(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(-1, "interrupted");
        }
    }

    /** The value of one Prometheus sample line, e.g. {@code llm_sampler_batches_total}, or 0 when absent. */
    static double metric(String prometheusText, String sample) {
        for (String line : prometheusText.split("\n")) {
            if (line.startsWith(sample + " ") || line.startsWith(sample + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
