package dev.llmsuite.services.inference;

import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThan;

/** Requests at the edges: sampling values that are no numbers, a context that fills up, prompts too long to tokenize. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class EdgeRequestsTest {

    @BeforeEach
    void serve() throws Exception {
        if (given().get("/v1/models/edge").statusCode() == 200) return;
        TestCheckpoints.announce(TestCheckpoints.write("edge", 1, 11, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/edge").then().statusCode(200));
    }

    @Test
    void samplingValuesMustBeFiniteNumbers() {
        for (String field : new String[] {"temperature", "top_p"}) {
            for (String value : new String[] {"\"NaN\"", "\"Infinity\"", "\"-Infinity\""}) {
                given().contentType("application/json").body("{\"model\": \"edge\", \"prompt\": \"Hi\", \"" + field + "\": " + value + "}")
                        .post("/v1/completions").then().statusCode(400).contentType("application/problem+json")
                        .body("detail", containsString(field));
            }
        }
    }

    @Test
    void aGenerationCutShortByTheContextFinishesWithLength() {
        // the test model's context is 64 tokens: 60 of prompt leave room for 4 of the 16 asked
        String prompt = " a".repeat(60);
        given().contentType("application/json").body(Map.of("model", "edge", "prompt", prompt, "max_tokens", 16, "temperature", 0))
                .post("/v1/completions").then().statusCode(200)
                .body("usage.prompt_tokens", equalTo(60)).body("usage.completion_tokens", lessThan(16))
                .body("choices[0].finish_reason", equalTo("length"));
        given().contentType("application/json").body(Map.of("model", "edge", "messages",
                        List.of(Map.of("role", "user", "content", " a".repeat(20))), "max_tokens", 60, "temperature", 0))
                .post("/v1/chat/completions").then().statusCode(200).body("choices[0].finish_reason", equalTo("length"));
    }

    @Test
    void aPromptThatCannotFitIsRefusedWithoutTokenizingIt() {
        // 150,000 chars are at least 150,000 / (the longest GPT-2 token's bytes) tokens: far beyond 64
        given().contentType("application/json").body(Map.of("model", "edge", "prompt", "x".repeat(150_000)))
                .post("/v1/completions").then().statusCode(400).body("detail", containsString("at least"));
    }
}
