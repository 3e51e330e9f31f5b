package dev.llmsuite.services.tokenizer;

import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

/** Test profile: batches of at most 4 items, texts of at most 20,000 chars, at most 1,000 ids. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TokenizeEndpointsTest {

    @Test
    void tokenizeGivesGpt2Ids() {
        given().contentType("application/json").body(Map.of("text", "Hello world"))
                .post("/v1/tokenize").then().statusCode(200)
                .body("ids", contains(15496, 995)).body("count", equalTo(2))
                .body("encoding", equalTo("gpt2")).body("vocabulary_hash", equalTo(Encodings.gpt2().hash()));
    }

    @Test
    void specialTokensFollowTiktokensPolicy() {
        String text = "a<|endoftext|>b";
        given().contentType("application/json").body(Map.of("text", text)).post("/v1/tokenize")
                .then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("special token <|endoftext|> at char 1"));
        given().contentType("application/json").body(Map.of("text", text, "allowed_special", "all")).post("/v1/tokenize")
                .then().statusCode(200).body("ids", contains(64, 50256, 65));
        given().contentType("application/json").body(Map.of("text", text, "allowed_special", List.of("<|endoftext|>")))
                .post("/v1/tokenize").then().statusCode(200).body("ids", contains(64, 50256, 65));
        given().contentType("application/json").body(Map.of("text", text, "ordinary", true)).post("/v1/tokenize")
                .then().statusCode(200).body("count", equalTo(9));
        given().contentType("application/json").body(Map.of("text", text, "allowed_special", List.of("<|pad|>")))
                .post("/v1/tokenize").then().statusCode(400).body("detail", containsString("not a special token"));
    }

    @Test
    void badInputAndLimitsGetProblems() {
        given().contentType("application/json").body(Map.of("text", "x", "encoding", "nope")).post("/v1/tokenize")
                .then().statusCode(400).body("detail", containsString("unknown encoding 'nope'"));
        given().contentType("application/json").body(Map.of("text", "x".repeat(20_001))).post("/v1/tokenize")
                .then().statusCode(413).body("detail", containsString("the limit is 20000"));
        // a lone surrogate is encoded as U+FFFD, as tiktoken does
        given().contentType("application/json").body("{\"text\": \"\\ud800\"}").post("/v1/tokenize")
                .then().statusCode(200).body("ids", contains(4210)); // jtokkit: "\uFFFD" -> [4210]
        given().contentType("application/json").body(Map.of("texts", List.of("a", "b", "c", "d", "e")))
                .post("/v1/tokenize/batch").then().statusCode(413).body("detail", containsString("limit is 4"));
        given().contentType("application/json").body(Map.of("ids", new int[1001])).post("/v1/detokenize")
                .then().statusCode(413);
        given().contentType("application/json").body("{}").post("/v1/detokenize")
                .then().statusCode(400).body("detail", containsString("'ids' is required"));
        given().contentType("application/json").body("{\"ids\": [1, \"x\"]}").post("/v1/detokenize")
                .then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void detokenizeIsExactAndChecksIds() {
        given().contentType("application/json").body(Map.of("ids", List.of(15496, 995))).post("/v1/detokenize")
                .then().statusCode(200).body("text", equalTo("Hello world"));
        given().contentType("application/json").body(Map.of("ids", List.of(15496, 50257))).post("/v1/detokenize")
                .then().statusCode(400).body("detail", containsString("token id 50257 at position 1 is outside the vocabulary"));
        // 171 is the first byte of a 3-byte character on its own
        given().contentType("application/json").body(Map.of("ids", List.of(171), "mode", "strict")).post("/v1/detokenize")
                .then().statusCode(400).body("detail", containsString("invalid UTF-8"));
        given().contentType("application/json").body(Map.of("ids", List.of(171))).post("/v1/detokenize")
                .then().statusCode(200).body("text", equalTo("\uFFFD"));
        given().contentType("application/json").body(Map.of("ids", List.of(1), "mode", "loose")).post("/v1/detokenize")
                .then().statusCode(400).body("detail", containsString("'mode'"));
    }

    @Test
    void batchesAnswerItemByItem() {
        given().contentType("application/json").body(Map.of("texts", List.of("Hello world", "bad<|endoftext|>")))
                .post("/v1/tokenize/batch").then().statusCode(200)
                .body("results[0].ids", contains(15496, 995)).body("results[0].error", nullValue())
                .body("results[1].error", containsString("special token"));
        given().contentType("application/json").body(Map.of("batch", List.of(List.of(15496), List.of(99999))))
                .post("/v1/detokenize/batch").then().statusCode(200)
                .body("results[0].text", equalTo("Hello")).body("results[1].error", containsString("outside the vocabulary"));
    }

    @Test
    void encodingsListGpt2AndTrainingAddsOne() {
        given().get("/v1/encodings").then().statusCode(200)
                .body("find { it.name == 'gpt2' }.size", equalTo(50257))
                .body("find { it.name == 'gpt2' }.hash", equalTo(Encodings.gpt2().hash()));
        String corpus = "low lower lowest newer newest wider widest ".repeat(200);
        String job = given().contentType("text/plain").body(corpus)
                .post("/v1/encodings/train?name=tiny-bpe&vocab_size=300")
                .then().statusCode(202).extract().path("id");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/encodings/jobs/" + job).then().body("state", equalTo("done")));
        // 300 ids = 256 bytes + 1 special + up to 43 merges; this corpus runs out of repeated pairs first
        given().get("/v1/encodings/jobs/" + job).then().body("mergesTarget", equalTo(43))
                .body("mergesDone", Matchers.both(Matchers.greaterThan(10))
                        .and(Matchers.lessThanOrEqualTo(43)));
        given().get("/v1/encodings").then().body("name", hasItem("tiny-bpe"));
        List<Integer> ids = given().contentType("application/json")
                .body(Map.of("text", " lowest widest", "encoding", "tiny-bpe"))
                .post("/v1/tokenize").then().statusCode(200).extract().path("ids");
        Assertions.assertTrue(ids.size() < 14 / 2, "merges learned from the corpus apply: " + ids);
        given().contentType("application/json").body(Map.of("ids", ids, "encoding", "tiny-bpe"))
                .post("/v1/detokenize").then().statusCode(200).body("text", equalTo(" lowest widest"));
        given().contentType("text/plain").body(corpus).post("/v1/encodings/train?name=tiny-bpe&vocab_size=300")
                .then().statusCode(409);
        given().contentType("text/plain").body(corpus).post("/v1/encodings/train?name=x&vocab_size=10")
                .then().statusCode(400).body("detail", containsString("below 256"));
        given().get("/v1/encodings/jobs/nope").then().statusCode(404);
    }
}
