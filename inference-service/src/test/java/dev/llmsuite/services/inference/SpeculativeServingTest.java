package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Speculative decoding in the service: one checkpoint served as "drafted" (llm.inference.drafts.drafted=int8, the test
 * profile) and as "undrafted". Greedy answers are the same token for token, log-probabilities to the bit, streamed or
 * not, up to a full context, with stop strings and n choices; seeded sampling is not drafted (so a seed reproduces the
 * undrafted answer); the draft metrics count what was proposed and kept.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class SpeculativeServingTest {
    private static final GptConfig CFG = new GptConfig(50257, 64, 16, 2, 1, 0.0, false, true);
    private final ObjectMapper json = new ObjectMapper();

    private static boolean served;

    @BeforeEach
    void serveBoth() throws Exception {
        if (served) return;
        served = true;
        for (String name : new String[] {"drafted", "undrafted"}) {
            TestCheckpoints.announce(TestCheckpoints.write(CFG, name, 1, 61, false));
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            given().get("/v1/models/drafted").then().statusCode(200);
            given().get("/v1/models/undrafted").then().statusCode(200);
        });
    }

    private JsonNode complete(String model, Map<String, Object> more) throws Exception {
        Map<String, Object> body = new HashMap<>(Map.of("model", model, "prompt", "The quick brown fox", "max_tokens", 24,
                "temperature", 0, "logprobs", 2));
        body.putAll(more);
        return json.readTree(given().contentType("application/json").body(body).post("/v1/completions").then().statusCode(200).extract().asString());
    }

    private static double draftTokens(String outcome) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("llm_inference_draft_tokens_total\\{[^}]*outcome=\"" + outcome + "\"[^}]*} ([0-9.E+]+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private void sameAnswers(Map<String, Object> request) throws Exception {
        JsonNode drafted = complete("drafted", request).get("choices"), undrafted = complete("undrafted", request).get("choices");
        assertEquals(undrafted.toString(), drafted.toString(), "request " + request);
    }

    @Test
    void greedyAnswersAreTheSameTokensAndLogprobs() throws Exception {
        double proposed = draftTokens("proposed");
        sameAnswers(Map.of());
        assertTrue(draftTokens("proposed") > proposed, "the drafted model proposed tokens");
        assertTrue(draftTokens("accepted") <= draftTokens("proposed"));
        sameAnswers(Map.of("prompt", "Once upon a time", "max_tokens", 7));
        sameAnswers(Map.of("prompt", "x ".repeat(40), "max_tokens", 40)); // runs into the 64-token context
        sameAnswers(Map.of("stop", " the"));
        sameAnswers(Map.of("n", 2)); // two in the batch: plain steps until one is alone
    }

    @Test
    void streamedAnswersAreTheSame() throws Exception {
        Map<String, Object> body = Map.of("model", "drafted", "prompt", "The quick brown fox", "max_tokens", 24, "temperature", 0, "stream", true);
        String stream = given().contentType("application/json").body(body).post("/v1/completions").then().statusCode(200).extract().asString();
        StringBuilder text = new StringBuilder();
        for (String line : stream.split("\n")) {
            if (line.startsWith("data: {")) text.append(json.readTree(line.substring(6)).get("choices").get(0).get("text").asText());
        }
        assertEquals(complete("undrafted", Map.of()).get("choices").get(0).get("text").asText(), text.toString());
    }

    @Test
    void seededSamplingIsNotDraftedSoItsSeedStillReproducesIt() throws Exception {
        double proposed = draftTokens("proposed");
        sameAnswers(Map.of("temperature", 0.9, "seed", 7));
        assertEquals(proposed, draftTokens("proposed"), "a seeded sampled request decodes plainly");
        JsonNode unseeded = complete("drafted", Map.of("temperature", 0.9, "max_tokens", 12, "logprobs", 0));
        int made = unseeded.get("usage").get("completion_tokens").asInt();
        assertTrue(made == 12 || made < 12 && unseeded.get("choices").get(0).get("finish_reason").asText().equals("stop"), unseeded.toString());
        assertTrue(draftTokens("proposed") > proposed, "unseeded sampling is drafted");
    }
}
