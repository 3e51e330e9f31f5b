package dev.llmsuite.services.trainer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Split;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Test profile: a checkpoint every 2 training batches. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TrainerServiceTest {
    private final ObjectMapper json = new ObjectMapper();

    private static TrainingBatch batch(String dataset, long index, int token) {
        int[] ids = new int[8];
        java.util.Arrays.fill(ids, token);
        return new TrainingBatch(dataset, Split.TRAIN, 0, index, "vocab", 1, 2, 4, ids, ids);
    }

    @Test
    void batchesTrainTheModelAndCheckpointsAreAnnounced() throws Exception {
        String kafka = KafkaBrokerResource.bootstrapServers();
        for (int i = 0; i < 4; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "t1", batch("t1", i, 7).encode());

        List<CheckpointAnnouncement> announced = TestKafka.await(kafka, Topics.CHECKPOINTS, 2, Duration.ofSeconds(30),
                        r -> "t1".equals(r.key())).stream()
                .map(r -> read(r.value(), CheckpointAnnouncement.class))
                .sorted(Comparator.comparingLong(CheckpointAnnouncement::step)).toList();
        assertEquals(List.of(2L, 4L), announced.stream().map(CheckpointAnnouncement::step).toList());

        CheckpointAnnouncement last = announced.get(1);
        Path unigram = Path.of(last.path()).resolve("unigram.json");
        assertEquals(last.hashes().get("unigram.json"), CheckpointWriter.sha256(Files.readAllBytes(unigram)),
                "the announced hash is the file's");
        JsonNode model = json.readTree(unigram.toFile());
        assertEquals(32, model.get("tokens").asLong());
        assertEquals(32, model.get("counts").get(7).asLong());

        List<JsonNode> steps = TestKafka.await(kafka, Topics.TRAINING_METRICS, 4, Duration.ofSeconds(30),
                        r -> "t1".equals(r.key())).stream()
                .map(r -> read(r.value(), JsonNode.class))
                .sorted(Comparator.comparingLong(n -> n.get("step").asLong())).toList();
        assertEquals(4, steps.size());
        for (int i = 1; i < steps.size(); i++) {
            assertTrue(steps.get(i).get("loss").asDouble() < steps.get(i - 1).get("loss").asDouble(),
                    "loss falls at every step on repeated data: " + steps);
        }

        given().get("/v1/training/t1").then().statusCode(200)
                .body("steps", equalTo(4)).body("tokens", equalTo(32));
        given().get("/q/metrics").then().body(containsString("llm_trainer_tokens_total"));
    }

    @Test
    void unknownDatasetIs404AndAMalformedBatchIsDeadLettered() {
        given().get("/v1/training/nope").then().statusCode(404).contentType("application/problem+json")
                .body("detail", containsString("no training for dataset 'nope'"));
        String kafka = KafkaBrokerResource.bootstrapServers();
        byte[] truncated = java.util.Arrays.copyOf(batch("t2", 0, 1).encode(), 30);
        TestKafka.send(kafka, Topics.TRAIN_BATCHES, "t2", truncated);
        var dead = TestKafka.await(kafka, Topics.BATCHES_DLQ, 1, Duration.ofSeconds(30), r -> "t2".equals(r.key()));
        assertEquals(1, dead.size());
        assertTrue(TestKafka.header(dead.get(0).headers(), "dead-letter-reason").contains("training batch"));
    }

    private <T> T read(byte[] bytes, Class<T> type) {
        try {
            return json.readValue(bytes, type);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
