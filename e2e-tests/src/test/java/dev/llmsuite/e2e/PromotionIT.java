package dev.llmsuite.e2e;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.cli.LocalSuite;
import dev.llmsuite.records.Split;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Evaluation and promotion through the broker, between the real trainer and inference processes: a job whose second
 * checkpoint evaluates worse than its first keeps serving the first under the model's name while NAME@latest serves
 * the second; a promotion by hand and a rollback are each served within seconds. The job trains on one token and
 * holds out another, so every later checkpoint predicts the held-out token worse (asserted, not assumed).
 */
class PromotionIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    static LocalSuite suite;

    @BeforeAll
    static void startSuite() throws IOException {
        Path root = Path.of(System.getProperty("suite.root", "..")).toAbsolutePath().normalize();
        suite = PipelineIT.smallSuite(root, root.resolve("e2e-tests/target/e2e-promotion-" + UUID.randomUUID()), "[promotion] ");
    }

    @AfterAll
    static void stopSuite() {
        if (suite != null) suite.close();
    }

    private static TrainingBatch batch(Split split, long index, int token) {
        int[] ids = new int[16];
        Arrays.fill(ids, token);
        return new TrainingBatch("promo", split, 0, index, Encodings.gpt2().hash(), 1, 2, 8, ids, ids);
    }

    private static String trainer(String path) {
        return suite.url("trainer-service", path);
    }

    private static JsonNode served(String model) throws IOException {
        return JSON.readTree(given().get(suite.url("inference-service", "/v1/models/" + model)).asString());
    }

    /** The greedy continuation's tokens and their log-probabilities: both checkpoints may pick the same tokens, never with equal odds. */
    private static String greedy(String model) {
        var body = given().contentType("application/json")
                .body(Map.of("model", model, "prompt", "Every effort moves you", "max_tokens", 6, "temperature", 0, "logprobs", 1))
                .post(suite.url("inference-service", "/v1/completions")).then().statusCode(200).extract().jsonPath();
        return body.getString("choices[0].text") + " " + body.getList("choices[0].logprobs.token_logprobs");
    }

    private static List<JsonNode> records(String topic, int atLeast) {
        return KafkaReads.read(suite.bootstrapServers(), topic, "promo", atLeast, Duration.ofSeconds(120)).stream()
                .map(r -> {
                    try {
                        return JSON.readTree(r.value());
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }).sorted(Comparator.comparingLong(n -> n.get("step").asLong())).toList();
    }

    @Test
    void aWorseCheckpointIsServedOnlyAsLatestAndARollbackIsServedWithinSeconds() throws Exception {
        given().contentType("application/json").body(Map.of("id", "promo", "dataset", "promo", "maxSteps", 4, "evalBatches", 1,
                "contextLength", 8, "embeddingDim", 16, "heads", 2, "layers", 1, "learningRate", 0.01))
                .post(trainer("/v1/jobs")).then().statusCode(201);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", suite.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.VAL_BATCHES, "promo", batch(Split.VALIDATION, 0, 900).encode())).get();
            await().atMost(Duration.ofSeconds(60)).until(() -> given().get(trainer("/q/metrics")).asString()
                    .contains("llm_trainer_batches_total{split=\"validation\"} 1.0"));
            for (int i = 0; i < 4; i++) producer.send(new ProducerRecord<>(Topics.TRAIN_BATCHES, "promo", batch(Split.TRAIN, i, 7).encode())).get();
        }

        List<JsonNode> evaluations = records(Topics.EVALUATIONS, 2);
        double first = evaluations.get(0).get("metrics").get("val_perplexity").asDouble();
        double second = evaluations.get(1).get("metrics").get("val_perplexity").asDouble();
        assertTrue(second > first, "the premise: step 4 evaluates worse than step 2 (" + first + " -> " + second + ")");
        JsonNode promoted = records(Topics.PROMOTIONS, 1).getFirst();
        assertEquals(2, promoted.get("step").asLong());
        for (JsonNode e : evaluations) {
            System.out.printf("[promotion] step %d: announced -> evaluated %d ms%n", e.get("step").asLong(),
                    e.get("evaluatedAtMillis").asLong() - e.get("announcedAtMillis").asLong());
        }
        System.out.printf("[promotion] step 2: evaluated -> promoted %d ms%n",
                promoted.get("promotedAtMillis").asLong() - evaluations.get(0).get("evaluatedAtMillis").asLong());

        await().atMost(Duration.ofSeconds(60)).until(() -> served("promo@latest").path("step").asLong() == 4);
        await().atMost(Duration.ofSeconds(30)).until(() -> served("promo").path("step").asLong() == 2);
        JsonNode card = served("promo");
        assertEquals("POLICY", card.get("promotion").get("by").asText());
        assertEquals(4, card.get("latest_step").asLong());
        assertEquals(greedy("promo@step-2"), greedy("promo"), "the model's name serves step 2's weights");
        assertNotEquals(greedy("promo@latest"), greedy("promo"), "and @latest serves step 4's, whose odds differ");

        // by hand, through the trainer's API: forward to step 4, then roll back to step 2
        given().contentType("application/json").body(Map.of("step", 4, "reason", "e2e")).post(trainer("/v1/models/promo/promotions"))
                .then().statusCode(201);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> served("promo").path("step").asLong() == 4);
        long sent = System.nanoTime();
        given().contentType("application/json").body(Map.of("step", 2, "reason", "rollback")).post(trainer("/v1/models/promo/promotions"))
                .then().statusCode(201);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> served("promo").path("step").asLong() == 2);
        System.out.printf("[promotion] a rollback was served %.2f s after it was posted%n", (System.nanoTime() - sent) / 1e9);
        assertEquals("MANUAL", served("promo").get("promotion").get("by").asText());
        assertEquals(4, served("promo@latest").get("step").asLong(), "@latest stays the newest");
    }
}
