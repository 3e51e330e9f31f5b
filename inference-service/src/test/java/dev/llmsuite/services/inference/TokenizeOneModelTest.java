package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's clients send no model: with one model served, /tokenize and /detokenize use it. A checkpoint directory of
 * its own, so that the other tests' models (on a shared broker) do not load here.
 */
@QuarkusTest
@TestProfile(TokenizeOneModelTest.OwnCheckpoints.class)
@WithTestResource(KafkaBrokerResource.class)
class TokenizeOneModelTest {
    public static class OwnCheckpoints implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.inference.checkpoint-dir", "target/test-checkpoints-one-" + UUID.randomUUID());
        }
    }

    @Test
    void withOneModelServedTheModelMayBeLeftOut() throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write("only", 1, 3, false));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/only").statusCode() == 200);
        given().contentType("application/json").body(Map.of("content", "Hello, world")).post("/tokenize")
                .then().statusCode(200).body("tokens", equalTo(List.of(15496, 11, 995)));
        given().contentType("application/json").body(Map.of("tokens", List.of(15496, 11, 995))).post("/detokenize")
                .then().statusCode(200).body("content", equalTo("Hello, world"));
    }
}
