package dev.llmsuite.services.tokenizer;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** BPE training holds a corpus per queued job and a vocabulary per finished one: both are capped; a bad vocabulary file costs only itself. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(TrainingLimitsTest.OneAtATime.class)
class TrainingLimitsTest {

    public static class OneAtATime implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try { // a vocabulary directory with a file that is no vocabulary: it must cost that file, not the start
                Path dir = Files.createTempDirectory("vocabularies-");
                Files.writeString(dir.resolve("broken.tiktoken"), "not base64 at all\n");
                return Map.of("llm.tokenizer.training.max-jobs", "1", "llm.tokenizer.training.max-vocabularies", "1",
                        "llm.tokenizer.vocabulary-dir", dir.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** About 1 MB of made-up words: a second or more of training on this machine. */
    private static String corpus() {
        Random r = new Random(7);
        StringBuilder b = new StringBuilder();
        while (b.length() < 1_000_000) {
            int n = 2 + r.nextInt(8);
            b.append(' ');
            for (int i = 0; i < n; i++) b.append((char) ('a' + r.nextInt(26)));
        }
        return b.toString();
    }

    @Test
    void aSecondQueuedJobIs429AndVocabulariesBeyondTheCapAre409() {
        given().get("/v1/encodings").then().statusCode(200).body("name", not(hasItem("broken")));
        String corpus = corpus();
        String job = given().contentType("text/plain").body(corpus).post("/v1/encodings/train?name=first&vocab_size=2000")
                .then().statusCode(202).extract().path("id");
        given().contentType("text/plain").body(corpus).post("/v1/encodings/train?name=second&vocab_size=2000")
                .then().statusCode(429).header("Retry-After", equalTo("10")).body("detail", containsString("max-jobs"));
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                given().get("/v1/encodings/jobs/" + job).then().body("state", equalTo("done")));
        given().contentType("text/plain").body("a b c".repeat(100)).post("/v1/encodings/train?name=third&vocab_size=260")
                .then().statusCode(409).body("detail", containsString("max-vocabularies"));
    }
}
