package dev.llmsuite.service;

import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * A request for something another replica of the same service owns (a trainer's job, a sampler's dataset),
 * sent there once: marked {@link #FORWARDED}, so the replica answers from what it holds and never forwards again,
 * with the caller's API key. Kafka says who owns what (the consumer group, Kafka Streams' metadata); this only
 * carries the request.
 */
public final class ReplicaForwarding {
    private static final Logger LOG = Logger.getLogger(ReplicaForwarding.class);
    /** Set on a forwarded request: answer from this replica's own state, do not forward again. */
    public static final String FORWARDED = "X-Llm-Forwarded";
    private static final int MAX_ANSWER_BYTES = 8 << 20;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One answer of another replica: its status and JSON body. */
    public record Answer(int status, String body) {
        public Response toResponse() {
            return Response.status(status).type(status >= 400 ? "application/problem+json" : "application/json").entity(body).build();
        }
    }

    /** Sends the request to the replica at baseUrl, once; 502 when it does not answer, or answers over 8 MiB. */
    public Answer forward(String baseUrl, String method, String pathAndQuery, String jsonBody, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).timeout(Duration.ofSeconds(30))
                .header(FORWARDED, "1").header("Accept", "application/json")
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody));
        if (jsonBody != null) request.header("Content-Type", "application/json");
        if (authorization != null) request.header("Authorization", authorization);
        try {
            HttpResponse<byte[]> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (answer.body().length > MAX_ANSWER_BYTES) throw new ProblemException(502, "replica " + baseUrl + " answered over 8 MiB");
            return new Answer(answer.statusCode(), new String(answer.body(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.warnf("forwarding %s %s to %s failed: %s", method, pathAndQuery, baseUrl, e.toString());
            throw new ProblemException(502, "the replica at " + baseUrl + " did not answer: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProblemException(503, "interrupted");
        }
    }
}
