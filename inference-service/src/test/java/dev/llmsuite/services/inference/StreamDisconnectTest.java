package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A client that leaves a streamed generation ends it at its next token and frees its slot, whether it
 * closes cleanly or resets the connection (docs/api.md).
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class StreamDisconnectTest {
    /** Long enough a context that 1,000 tokens take seconds to decode here. */
    private static final GptConfig LONG = new GptConfig(50257, 1100, 64, 2, 2, 0.0, false, true);

    private static double metric(String name) {
        String metrics = given().get("/q/metrics").then().extract().asString();
        return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Sends a streamed request on a raw socket, reads its first event, then leaves (reset: RST instead of FIN). */
    private static void leaveAfterFirstEvent(String path, String body, boolean reset) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(bytes);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("data: ")) break;
            }
            if (reset) socket.setSoLinger(true, 0);
        }
    }

    @Test
    void aStreamThatLosesItsClientStopsAtTheNextTokenAndFreesItsSlot() throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write(LONG, "long", 1, 3, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/long").then().statusCode(200));
        String completion = "{\"model\": \"long\", \"prompt\": \"Hello\", \"max_tokens\": 1000, \"stream\": true, \"seed\": 1}";
        String chat = "{\"model\": \"long\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}], \"max_tokens\": 1000,"
                + " \"stream\": true, \"seed\": 1}";
        String[][] cases = {{"/v1/completions", completion, "close"}, {"/v1/completions", completion, "reset"},
                {"/v1/chat/completions", chat, "close"}, {"/v1/chat/completions", chat, "reset"}};
        for (String[] c : cases) {
            double cancelled = metric("llm_inference_requests_cancelled_total");
            double tokens = metric("llm_inference_tokens_generated_total");
            leaveAfterFirstEvent(c[0], c[1], c[2].equals("reset"));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertTrue(metric("llm_inference_requests_cancelled_total") > cancelled, c[0] + " " + c[2] + ": cancelled");
                assertTrue(metric("llm_inference_active_sequences") == 0, "its slot is free");
            });
            double generated = metric("llm_inference_tokens_generated_total") - tokens;
            assertTrue(generated < 500, c[0] + " " + c[2] + ": stopped early, not all 1,000 tokens: " + generated);
        }
    }
}
