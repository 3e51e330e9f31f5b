package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;

import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** /tokenize and /detokenize in vLLM's and llama.cpp's shapes, with the served model's tokenizer; bad requests are 4xx. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TokenizeEndpointTest {

    @Test
    void tokenizesAndDetokenizesInBothShapes() throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write("tk", 1, 3, false));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/tk").statusCode() == 200);

        given().contentType("application/json").body(Map.of("model", "tk", "prompt", "Hello, world")).post("/tokenize")
                .then().statusCode(200).body("tokens", equalTo(List.of(15496, 11, 995))).body("count", equalTo(3))
                .body("max_model_len", equalTo(64));
        // llama.cpp's shape: the text as content
        given().contentType("application/json").body(Map.of("model", "tk", "content", "Hello, world", "return_token_strs", true)).post("/tokenize")
                .then().statusCode(200).body("tokens", equalTo(List.of(15496, 11, 995)))
                .body("token_strs", equalTo(List.of("Hello", ",", " world")));
        given().contentType("application/json").body(Map.of("model", "tk@latest", "prompt", "a<|endoftext|>")).post("/tokenize")
                .then().statusCode(200).body("tokens", equalTo(List.of(64, 50256)));
        given().contentType("application/json").body(Map.of("model", "tk", "tokens", List.of(15496, 11, 995))).post("/detokenize")
                .then().statusCode(200).body("prompt", equalTo("Hello, world")).body("content", equalTo("Hello, world"));
        given().get("/").then().statusCode(200).body(containsString("id=\"api-key\"")); // the page at / is still the page
    }

    @Test
    void badRequestsAreRefused() throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write("tk2", 1, 4, false));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/tk2").statusCode() == 200);
        String json = "application/json";
        given().contentType(json).body(Map.of("model", "tk2", "prompt", "a", "content", "b")).post("/tokenize").then().statusCode(400);
        given().contentType(json).body(Map.of("model", "tk2")).post("/tokenize").then().statusCode(400);
        given().contentType(json).body(Map.of("model", "tk2", "prompt", "x".repeat(200_001))).post("/tokenize")
                .then().statusCode(400).body("detail", containsString("max-prompt-chars"));
        given().contentType(json).body(Map.of("model", "nope", "prompt", "a")).post("/tokenize").then().statusCode(404);
        given().contentType(json).body(Map.of("model", "../etc", "prompt", "a")).post("/tokenize").then().statusCode(404);
        given().contentType(json).body(Map.of("model", "tk2@../x", "prompt", "a")).post("/tokenize").then().statusCode(400);
        given().contentType(json).body("not json").post("/tokenize").then().statusCode(400);
        for (List<Integer> bad : List.of(List.of(-1), List.of(50257), List.of(Integer.MAX_VALUE))) {
            given().contentType(json).body(Map.of("model", "tk2", "tokens", bad)).post("/detokenize")
                    .then().statusCode(400).body("detail", containsString("outside the vocabulary"));
        }
        given().contentType(json).body("{\"model\": \"tk2\", \"tokens\": [1, null]}").post("/detokenize").then().statusCode(400);
        given().contentType(json).body("{\"model\": \"tk2\", \"tokens\": [1e30]}").post("/detokenize").then().statusCode(400);
        given().contentType(json).body(Map.of("model", "tk2")).post("/detokenize").then().statusCode(400);
        Integer[] many = new Integer[TokenizeResource.MAX_TOKENS + 1];
        Arrays.fill(many, 1);
        given().contentType(json).body(Map.of("model", "tk2", "tokens", new ArrayList<>(Arrays.asList(many)))).post("/detokenize")
                .then().statusCode(greaterThanOrEqualTo(400)).statusCode(lessThan(500));
        // with several models served, which one must be said
        if (given().get("/v1/models/tk").statusCode() != 200) TestCheckpoints.announce(TestCheckpoints.write("tk", 1, 3, false));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/tk").statusCode() == 200);
        given().contentType(json).body(Map.of("content", "a")).post("/tokenize").then().statusCode(400)
                .body("detail", containsString("'model' is required"));
        given().get("/q/health/live").then().statusCode(200);
    }
}
