package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.ModelPromotion;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * model.promotions decides what NAME serves; NAME@latest is the newest announced, NAME@step-N any announced step
 * still on disk. Promotions are verified like announcements.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class PromotionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static void promote(CheckpointAnnouncement a, ModelPromotion.By by) throws Exception {
        var p = new ModelPromotion(a.model(), a.step(), a.path(), a.hashes(), by, "test", Map.of("val_perplexity", 10.0),
                System.currentTimeMillis());
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.PROMOTIONS, a.model(), JSON.writeValueAsBytes(p));
    }

    private static String greedy(String model) {
        return given().contentType("application/json")
                .body(Map.of("model", model, "prompt", "Every effort moves you", "max_tokens", 6, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).extract().path("choices[0].text");
    }

    private static long servedStep(String model) {
        return given().get("/v1/models/" + model).then().statusCode(200).extract().jsonPath().getLong("step");
    }

    @Test
    void theNameServesThePromotedStepAndLatestTheNewest() throws Exception {
        CheckpointAnnouncement one = TestCheckpoints.write("pm", 1, 11, false);
        CheckpointAnnouncement two = TestCheckpoints.write("pm", 2, 22, false);
        CheckpointAnnouncement three = TestCheckpoints.write("pm", 3, 33, false);
        for (var a : new CheckpointAnnouncement[] {one, two, three}) TestCheckpoints.announce(a);
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/pm@latest").statusCode() == 200 && servedStep("pm@latest") == 3);
        given().get("/v1/models/pm").then().body("step", equalTo(3)).body("promotion", nullValue()); // nothing promoted: the newest

        promote(one, ModelPromotion.By.POLICY);
        await().atMost(Duration.ofSeconds(30)).until(() -> servedStep("pm") == 1);
        given().get("/v1/models/pm").then().body("latest_step", equalTo(3)).body("promotion.step", equalTo(1))
                .body("promotion.by", equalTo("POLICY")).body("promotion.reason", equalTo("test"));
        assertEquals(3, servedStep("pm@latest"));
        String promotedText = greedy("pm");
        assertEquals(promotedText, greedy("pm@step-1"), "NAME serves step 1's weights");
        assertNotEquals(promotedText, greedy("pm@latest"), "three differently seeded checkpoints answer differently");

        // any announced step, on first use
        assertEquals(2, servedStep("pm@step-2"));
        given().get("/v1/models").then().body("data.id", hasItems("pm", "pm@latest", "pm@step-2"));

        // a rollforward and a rollback by hand, each served within seconds
        promote(three, ModelPromotion.By.MANUAL);
        await().atMost(Duration.ofSeconds(10)).until(() -> servedStep("pm") == 3);
        long sent = System.nanoTime();
        promote(two, ModelPromotion.By.MANUAL);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> servedStep("pm") == 2);
        System.out.printf("[test] a rollback was served %.2f s after its promotion was sent%n", (System.nanoTime() - sent) / 1e9);
        given().get("/v1/models/pm").then().body("promotion.by", equalTo("MANUAL"));
    }

    @Test
    void badNamesAndUnverifiablePromotionsAreRefused() throws Exception {
        CheckpointAnnouncement good = TestCheckpoints.write("pb", 1, 5, false);
        TestCheckpoints.announce(good);
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/pb").statusCode() == 200);

        given().get("/v1/models/pb@step-99").then().statusCode(404).body("detail", containsString("no announced step 99"));
        given().get("/v1/models/pb@bogus").then().statusCode(400).body("detail", containsString("'latest' or 'step-N'"));
        given().get("/v1/models/pb@step-" + "9".repeat(19)).then().statusCode(400);
        given().get("/v1/models/@latest").then().statusCode(400);
        given().get("/v1/models/nothing@latest").then().statusCode(404);
        given().contentType("application/json").body(Map.of("model", "pb@step-7", "prompt", "x", "max_tokens", 1))
                .post("/v1/completions").then().statusCode(404);

        // a promotion whose files do not match its hashes, one outside the checkpoint directory, one without 'by'
        CheckpointAnnouncement corrupt = TestCheckpoints.write("pb", 2, 6, true);
        promote(corrupt, ModelPromotion.By.POLICY);
        Map<String, String> lying = new HashMap<>(good.hashes());
        var outside = new ModelPromotion("pb", 3, "/etc", lying, ModelPromotion.By.MANUAL, "", Map.of(), 0);
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.PROMOTIONS, "pb", JSON.writeValueAsBytes(outside));
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.PROMOTIONS, "pb",
                ("{\"model\":\"pb\",\"step\":1,\"path\":\"" + good.path() + "\",\"hashes\":{}}").getBytes());
        var dead = TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS_DLQ, 3, Duration.ofSeconds(30),
                r -> "pb".equals(r.key()));
        String reasons = dead.stream().map(r -> TestKafka.header(r.headers(), "dead-letter-reason")).toList().toString();
        assertTrue(reasons.contains("differs from announced"), reasons);
        assertTrue(reasons.contains("outside llm.inference.checkpoint-dir"), reasons);
        assertTrue(reasons.contains("who decided"), reasons);
        given().get("/v1/models/pb").then().statusCode(200).body("step", equalTo(1)).body("promotion", nullValue());
    }
}
