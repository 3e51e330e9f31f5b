package dev.llmsuite.services.trainer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Split;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.testing.JsonSchemas;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Every announced checkpoint is evaluated on its held-out batches (model.evaluations) and promoted by the model's
 * policy (model.promotions); people promote and roll back through /v1/models. The job trains on one token and holds
 * out another, so each checkpoint predicts the held-out token worse than the last: the second is evaluated worse and
 * stays unpromoted.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class EvaluationAndPromotionTest {
    private final ObjectMapper json = new ObjectMapper();

    private static TrainingBatch batch(String dataset, Split split, long index, int token) {
        int[] ids = new int[8];
        Arrays.fill(ids, token);
        return new TrainingBatch(dataset, split, 0, index, "vocab", 1, 2, 4, ids, ids);
    }

    @Test
    void aWorseCheckpointIsNotPromotedAndPeoplePromoteAndRollBack() throws Exception {
        String kafka = KafkaBrokerResource.bootstrapServers();
        given().contentType("application/json").body(Map.of("id", "ev", "dataset", "ev", "maxSteps", 4, "evalBatches", 1))
                .post("/v1/jobs").then().statusCode(201).body("spec.promotion", equalTo("auto"));
        double validationBefore = validationBatches(); // other test classes may share this application
        TestKafka.send(kafka, Topics.VAL_BATCHES, "ev", batch("ev", Split.VALIDATION, 0, 900).encode());
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> validationBatches() > validationBefore);
        for (int i = 0; i < 4; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "ev", batch("ev", Split.TRAIN, i, 7).encode());

        List<JsonNode> evaluations = TestKafka.await(kafka, Topics.EVALUATIONS, 2, Duration.ofSeconds(60), r -> "ev".equals(r.key()))
                .stream().map(r -> read(r.value())).sorted(Comparator.comparingLong(n -> n.get("step").asLong())).toList();
        assertEquals(List.of(2L, 4L), evaluations.stream().map(e -> e.get("step").asLong()).toList());
        Schema evaluationSchema = JsonSchemas.load("model-evaluations.v1.schema.json");
        for (JsonNode e : evaluations) {
            assertEquals(List.of(), JsonSchemas.problems(evaluationSchema, e), e.toString());
            assertEquals("ev/validation", e.get("dataset").asText());
            assertEquals(8.0, e.get("metrics").get("tokens").asDouble(), "one held-out batch of 2×4 tokens");
            assertEquals(Math.exp(e.get("metrics").get("val_loss").asDouble()), e.get("metrics").get("val_perplexity").asDouble(), 1e-6);
        }
        double first = evaluations.get(0).get("metrics").get("val_perplexity").asDouble();
        double second = evaluations.get(1).get("metrics").get("val_perplexity").asDouble();
        assertTrue(second > first, "the premise: training on 7 makes the held-out 900 less likely (" + first + " -> " + second + ")");

        JsonNode promotion = read(TestKafka.await(kafka, Topics.PROMOTIONS, 1, Duration.ofSeconds(30), r -> "ev".equals(r.key())).getFirst().value());
        assertEquals(2, promotion.get("step").asLong());
        assertEquals("POLICY", promotion.get("by").asText());
        assertTrue(promotion.get("reason").asText().startsWith("first evaluated checkpoint"), promotion.toString());
        // the worse step 4 is evaluated but stays unpromoted
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/ev").jsonPath().getList("checkpoints.evaluation")
                .stream().filter(e -> e != null).count() == 2);
        Awaitility.await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> given().get("/v1/models/ev").jsonPath().getLong("promoted.step") == 2);

        // by hand: forward to step 4, then roll back to step 2
        given().contentType("application/json").body(Map.of("step", 4, "reason", "try the newest"))
                .post("/v1/models/ev/promotions").then().statusCode(201).body("by", equalTo("MANUAL")).body("step", equalTo(4));
        given().contentType("application/json").body(Map.of("step", 2))
                .post("/v1/models/ev/promotions").then().statusCode(201).body("reason", equalTo("by hand"));
        given().get("/v1/models/ev").then().body("promoted.step", equalTo(2)).body("promoted.by", equalTo("MANUAL"));
        List<JsonNode> promotions = TestKafka.await(kafka, Topics.PROMOTIONS, 3, Duration.ofSeconds(30), r -> "ev".equals(r.key()))
                .stream().map(r -> read(r.value())).toList();
        assertEquals(List.of(2L, 4L, 2L), promotions.stream().map(p -> p.get("step").asLong()).toList());
        Schema promotionSchema = JsonSchemas.load("model-promotions.v1.schema.json");
        for (JsonNode p : promotions) assertEquals(List.of(), JsonSchemas.problems(promotionSchema, p), p.toString());

        // the dashboard's history holds the job's curve and the model
        given().get("/v1/dashboard").then().statusCode(200)
                .body("series.find { it.job == 'ev' }.points.size()", equalTo(4))
                .body("models.find { it.model == 'ev' }.promoted.step", equalTo(2));
    }

    @Test
    void badPromotionsAndPoliciesAreRefused() {
        given().contentType("application/json").body(Map.of("step", 99)).post("/v1/models/nothing-here/promotions")
                .then().statusCode(404);
        given().contentType("application/json").body("{}").post("/v1/models/ev/promotions").then().statusCode(400);
        given().contentType("application/json").body(Map.of("step", 2, "reason", "x".repeat(501))).post("/v1/models/ev/promotions")
                .then().statusCode(400).body("detail", containsString("500"));
        given().contentType("application/json").body(Map.of("step", 2)).post("/v1/models/-bad/promotions").then().statusCode(404);
        given().get("/v1/models/" + "m".repeat(300)).then().statusCode(404);
        given().contentType("application/json").body(Map.of("dataset", "pp", "promotion", "sometimes")).post("/v1/jobs")
                .then().statusCode(400);
        for (double bad : new double[] {-1, 100, 1e308}) {
            given().contentType("application/json").body(Map.of("dataset", "pp", "promotionMinImprovement", bad)).post("/v1/jobs")
                    .then().statusCode(400).body("detail", containsString("promotionMinImprovement"));
        }
    }

    @Test
    void hostileRecordsAreDeadLettered() throws Exception {
        String kafka = KafkaBrokerResource.bootstrapServers();
        Files.createDirectories(ConfigProvider.getConfig().getValue("llm.trainer.checkpoint-dir", Path.class));
        var outside = new CheckpointAnnouncement("x", "hostile", 1, "/etc", Map.of("config.json", "0".repeat(64),
                "model.safetensors", "0".repeat(64)), Map.of(), 0);
        TestKafka.send(kafka, Topics.CHECKPOINTS, "hostile", json.writeValueAsBytes(outside));
        TestKafka.send(kafka, Topics.TRAINING_METRICS, "junk", "not json".getBytes(StandardCharsets.UTF_8));
        TestKafka.send(kafka, Topics.TRAINING_METRICS, "dots", json.writeValueAsBytes(Map.of("job", "..", "dataset", "d", "step", 1,
                "epoch", 0, "batch", 0, "tokens", 1, "loss", 1.0)));
        TestKafka.send(kafka, Topics.PROMOTIONS, "junk", "{\"model\": \"../x\", \"step\": 1, \"by\": \"POLICY\"}".getBytes(StandardCharsets.UTF_8));
        var dead = TestKafka.await(kafka, Topics.EVALUATIONS_DLQ, 4, Duration.ofSeconds(30),
                r -> Set.of("hostile", "junk", "dots").contains(r.key()));
        String reasons = dead.stream().map(r -> TestKafka.header(r.headers(), "dead-letter-reason")).toList().toString();
        assertTrue(reasons.contains("outside llm.trainer.checkpoint-dir"), reasons);
        assertTrue(reasons.contains("not a training step"), reasons);
        assertTrue(reasons.contains("not a valid model.promotions record"), reasons);
        given().get("/q/health/live").then().statusCode(200);
    }

    /** The trainer's count of validation batches received. */
    static double validationBatches() {
        for (String line : given().get("/q/metrics").asString().split("\n")) {
            if (line.startsWith("llm_trainer_batches_total{split=\"validation\"}")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return 0;
    }

    private JsonNode read(byte[] value) {
        try {
            return json.readTree(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
