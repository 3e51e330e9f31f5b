package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class InferenceServiceTest {
    private final ObjectMapper json = new ObjectMapper();

    private CheckpointAnnouncement writeCheckpoint(String model, long step, boolean corruptAfterHashing) throws Exception {
        Path dir = Files.createTempDirectory("ckpt-");
        byte[] unigram = "{\"vocabularyHash\":\"v\",\"tokens\":42,\"counts\":[1,41]}".getBytes(StandardCharsets.UTF_8);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(unigram));
        if (corruptAfterHashing) unigram[unigram.length - 3] = '9';
        Files.write(dir.resolve("unigram.json"), unigram);
        return new CheckpointAnnouncement("job", model, step, dir.toString(), Map.of("unigram.json", hash),
                Map.of("loss", 1.5), System.currentTimeMillis());
    }

    @Test
    void anAnnouncedCheckpointIsVerifiedAndServed() throws Exception {
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, "m1",
                json.writeValueAsBytes(writeCheckpoint("m1", 5, false)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/models/m1").then().statusCode(200).body("step", equalTo(5)).body("tokens_seen", equalTo(42)));
        given().get("/v1/models").then().statusCode(200).body("object", equalTo("list"))
                .body("data.id", org.hamcrest.Matchers.hasItem("m1"));

        // An older step announced late never replaces a newer one.
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, "m1",
                json.writeValueAsBytes(writeCheckpoint("m1", 3, false)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/q/metrics").then()
                .body(containsString("llm_inference_checkpoints_total{outcome=\"loaded\"} 2.0")));
        given().get("/v1/models/m1").then().body("step", equalTo(5));
    }

    @Test
    void aCheckpointWhoseFilesDoNotMatchTheirHashIsNotServed() throws Exception {
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, "bad",
                json.writeValueAsBytes(writeCheckpoint("bad", 1, true)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/q/metrics").then()
                .body(containsString("llm_inference_checkpoints_total{outcome=\"rejected\"}")));
        given().get("/v1/models/bad").then().statusCode(404).contentType("application/problem+json");
    }
}
