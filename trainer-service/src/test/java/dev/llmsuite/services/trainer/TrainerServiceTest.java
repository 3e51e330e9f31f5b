package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
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
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test profile: a checkpoint every 2 training batches. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TrainerServiceTest {
    private final ObjectMapper json = new ObjectMapper();

    private static TrainingBatch batch(String dataset, long index, int token) {
        int[] ids = new int[8];
        Arrays.fill(ids, token);
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
        Path weights = Path.of(last.path()).resolve("model.safetensors");
        assertEquals(last.hashes().get("model.safetensors"), CheckpointAnnouncement.sha256(Files.readAllBytes(weights)),
                "the announced hash is the file's");
        assertEquals(Set.of("config.json", "model.safetensors", "optimizer.safetensors", "trainer.json", "validation-batches.bin"),
                last.hashes().keySet());
        try (var be = new CpuBackend(1)) {
            var model = HfCheckpoint.load(be, Path.of(last.path()));
            assertEquals(50257, model.config().vocabSize(), "a GPT in the Hugging Face layout");
        }
        JsonNode meta = json.readTree(Path.of(last.path()).resolve("trainer.json").toFile());
        assertEquals(32, meta.get("tokens").asLong());
        assertEquals("vocab", meta.get("vocabularyHash").asText());

        List<JsonNode> steps = TestKafka.await(kafka, Topics.TRAINING_METRICS, 4, Duration.ofSeconds(30),
                        r -> "t1".equals(r.key())).stream()
                .map(r -> read(r.value(), JsonNode.class))
                .sorted(Comparator.comparingLong(n -> n.get("step").asLong())).toList();
        assertEquals(4, steps.size());
        // what other teams read is what docs/schemas publishes
        Schema metricsSchema = JsonSchemas.load("training-metrics.v1.schema.json");
        for (JsonNode step : steps) assertEquals(List.of(), JsonSchemas.problems(metricsSchema, step), step.toString());
        Schema announcementSchema = JsonSchemas.load("model-checkpoints.v1.schema.json");
        for (var r : TestKafka.await(kafka, Topics.CHECKPOINTS, 2, Duration.ofSeconds(30), r -> "t1".equals(r.key()))) {
            JsonNode announcement = read(r.value(), JsonNode.class);
            assertEquals(List.of(), JsonSchemas.problems(announcementSchema, announcement), announcement.toString());
        }
        ObjectNode renamed = steps.get(0).deepCopy();
        renamed.set("lossValue", renamed.remove("loss"));
        assertEquals(2, JsonSchemas.problems(metricsSchema, renamed).size(), "the schema notices a missing and an unknown field");
        assertEquals(Math.log(50257), steps.get(0).get("loss").asDouble(), 0.5, "a fresh GPT starts near ln(V)");
        for (int i = 1; i < steps.size(); i++) {
            assertTrue(steps.get(i).get("loss").asDouble() < steps.get(i - 1).get("loss").asDouble(),
                    "loss falls at every step on repeated data: " + steps);
        }

        given().get("/v1/training/t1").then().statusCode(200)
                .body("step", equalTo(4)).body("tokens", equalTo(32)).body("state", equalTo("running"))
                .body("spec.learningRate", equalTo(0.01f));
        given().get("/q/metrics").then().body(containsString("llm_trainer_tokens_total"))
                .body(containsString("llm_trainer_job_loss{job=\"t1\"}")).body(containsString("llm_trainer_job_step{job=\"t1\"} 4.0"));
    }

    @Test
    void packedBatchesTrainWithTheirDocumentMasks() {
        int[] ids = {3, 4, 5, 6, 7, 8, 9, 10};
        int[] starts = {0, 0, 2, 2, 0, 1, 1, 1}; // two windows of 4, each with a document boundary inside
        TrainingBatch packed = new TrainingBatch("p1", Split.TRAIN, 0, 0, "vocab", 1, 2, 4, ids, ids, starts);
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.TRAIN_BATCHES, "p1", packed.encode());
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/training/p1").then().statusCode(200).body("step", equalTo(1)));
    }

    @Test
    void aRunThatGoesQuietIsCheckpointedAtItsLastStep() throws Exception {
        String kafka = KafkaBrokerResource.bootstrapServers();
        for (int i = 0; i < 3; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "t5", batch("t5", i, 9).encode());
        // periodic checkpoint at step 2; step 3 is saved once no batch has come for 2 s
        List<CheckpointAnnouncement> announced = TestKafka.await(kafka, Topics.CHECKPOINTS, 2, Duration.ofSeconds(30),
                        r -> "t5".equals(r.key())).stream()
                .map(r -> read(r.value(), CheckpointAnnouncement.class))
                .sorted(Comparator.comparingLong(CheckpointAnnouncement::step)).toList();
        assertEquals(List.of(2L, 3L), announced.stream().map(CheckpointAnnouncement::step).toList());
        given().get("/v1/training/t5").then().body("lastCheckpoint", Matchers.endsWith("step-3"));
    }

    @Test
    void aBatchOutsideTheModelIsDeadLettered() {
        String kafka = KafkaBrokerResource.bootstrapServers();
        int[] ids = new int[8];
        ids[3] = 60000; // beyond GPT-2's 50,257 ids
        TestKafka.send(kafka, Topics.TRAIN_BATCHES, "t3", new TrainingBatch("t3", Split.TRAIN, 0, 0, "vocab", 1, 2, 4, ids, ids).encode());
        int[] longIds = new int[40]; // context 20 > the test model's 16
        TestKafka.send(kafka, Topics.TRAIN_BATCHES, "t4", new TrainingBatch("t4", Split.TRAIN, 0, 0, "vocab", 1, 2, 20, longIds, longIds).encode());
        var dead = TestKafka.await(kafka, Topics.BATCHES_DLQ, 2, Duration.ofSeconds(30), r -> "t3".equals(r.key()) || "t4".equals(r.key()));
        assertEquals(2, dead.size());
        String reasons = dead.stream().map(r -> TestKafka.header(r.headers(), "dead-letter-reason")).toList().toString();
        assertTrue(reasons.contains("input id 60000 outside the vocabulary") && reasons.contains("exceeds the model's 16"), reasons);
    }

    @Test
    void unknownDatasetIs404AndAMalformedBatchIsDeadLettered() {
        given().get("/v1/training/nope").then().statusCode(404).contentType("application/problem+json")
                .body("detail", containsString("no training for dataset 'nope'"));
        String kafka = KafkaBrokerResource.bootstrapServers();
        byte[] truncated = Arrays.copyOf(batch("t2", 0, 1).encode(), 30);
        TestKafka.send(kafka, Topics.TRAIN_BATCHES, "t2", truncated);
        var dead = TestKafka.await(kafka, Topics.BATCHES_DLQ, 1, Duration.ofSeconds(30), r -> "t2".equals(r.key()));
        assertEquals(1, dead.size());
        assertTrue(TestKafka.header(dead.get(0).headers(), "dead-letter-reason").contains("training batch"));
    }

    @Test
    void aPostedJobTrainsItsDatasetToItsStepLimitThenStops() throws Exception {
        given().contentType("application/json").body(Map.of("id", "j1", "dataset", "d1", "maxSteps", 3, "learningRate", 0.02,
                        "warmupSteps", 1, "checkpointEvery", 10, "evalEvery", 3))
                .post("/v1/jobs").then().statusCode(201).header("Location", Matchers.endsWith("/v1/jobs/j1"))
                .body("state", equalTo("running")).body("spec.maxSteps", equalTo(3)).body("spec.layers", equalTo(1));
        given().contentType("application/json").body(Map.of("id", "j1", "dataset", "other"))
                .post("/v1/jobs").then().statusCode(409).body("detail", containsString("job 'j1' exists"));
        given().contentType("application/json").body(Map.of("id", "j1b", "dataset", "d1"))
                .post("/v1/jobs").then().statusCode(409).body("detail", containsString("already training dataset 'd1'"));
        given().contentType("application/json").body(Map.of("dataset", "x", "heads", 3))
                .post("/v1/jobs").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("not a multiple of heads 3"));
        given().contentType("application/json").body(Map.of("id", "x"))
                .post("/v1/jobs").then().statusCode(400).body("detail", containsString("'dataset' is required"));
        given().get("/v1/jobs/none").then().statusCode(404);

        String kafka = KafkaBrokerResource.bootstrapServers();
        for (int i = 0; i < 5; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "d1", batch("d1", i, 11).encode());
        // completed at step 3: a final checkpoint, and the two later batches are not trained
        var announced = TestKafka.await(kafka, Topics.CHECKPOINTS, 1, Duration.ofSeconds(30), r -> "j1".equals(r.key()));
        assertEquals(3L, read(announced.get(0).value(), CheckpointAnnouncement.class).step());
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/jobs/j1").then().body("state", equalTo("completed")).body("step", equalTo(3))
                        .body("resident", equalTo(false))); // its final checkpoint holds it: memory given back
        List<JsonNode> steps = TestKafka.await(kafka, Topics.TRAINING_METRICS, 3, Duration.ofSeconds(30), r -> "d1".equals(r.key()))
                .stream().map(r -> read(r.value(), JsonNode.class)).toList();
        assertEquals(List.of(0L, 1L, 2L), steps.stream().map(n -> n.get("batch").asLong()).sorted().toList());
        // warm-up: lr/1 at step 0 ... the peak from step 1
        assertEquals(0.02, steps.stream().filter(n -> n.get("step").asLong() == 2).findFirst().orElseThrow().get("lr").asDouble(), 1e-9);
        JsonNode meta = json.readTree(Path.of(given().get("/v1/jobs/j1").then().extract().<String>path("lastCheckpoint"))
                .resolve("trainer.json").toFile());
        assertEquals("COMPLETED", meta.get("state").asText());
        assertTrue(meta.get("positions").size() == 1, "the batch topic's position is stored: " + meta);
        given().delete("/v1/jobs/j1").then().statusCode(200).body("state", equalTo("completed"));
    }

    @Test
    void deletingARunningJobStopsItWithAFinalCheckpoint() throws Exception {
        given().contentType("application/json").body(Map.of("id", "j2", "dataset", "d2", "checkpointEvery", 100))
                .post("/v1/jobs").then().statusCode(201);
        String kafka = KafkaBrokerResource.bootstrapServers();
        for (int i = 0; i < 2; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "d2", batch("d2", i, 13).encode());
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/jobs/j2").then().body("step", equalTo(2)));
        given().delete("/v1/jobs/j2").then().statusCode(200).body("state", equalTo("stopped"))
                .body("lastCheckpoint", Matchers.endsWith("step-2"));
        TestKafka.send(kafka, Topics.TRAIN_BATCHES, "d2", batch("d2", 2, 13).encode());
        var announced = TestKafka.await(kafka, Topics.CHECKPOINTS, 1, Duration.ofSeconds(30), r -> "j2".equals(r.key()));
        assertEquals(2L, read(announced.get(0).value(), CheckpointAnnouncement.class).step());
        Thread.sleep(1000);
        given().get("/v1/jobs/j2").then().body("step", equalTo(2)); // a stopped job trains no more
    }

    @Test
    void aBatchTheSamplerSendsAgainIsSkippedByItsEpochAndIndex() throws Exception {
        given().contentType("application/json").body(Map.of("id", "j6", "dataset", "d6", "checkpointEvery", 100))
                .post("/v1/jobs").then().statusCode(201);
        String kafka = KafkaBrokerResource.bootstrapServers();
        // a restarted sampler sends batches 1 and 2 again, at new offsets, before its next one
        for (long i : new long[] {0, 1, 2, 1, 2, 3}) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "d6", batch("d6", i, 17).encode());
        List<JsonNode> steps = TestKafka.await(kafka, Topics.TRAINING_METRICS, 4, Duration.ofSeconds(30), r -> "d6".equals(r.key()))
                .stream().map(r -> read(r.value(), JsonNode.class)).toList();
        assertEquals(List.of(0L, 1L, 2L, 3L), steps.stream().map(n -> n.get("batch").asLong()).toList());
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/jobs/j6").then().body("step", equalTo(4)));
        Thread.sleep(500);
        given().get("/v1/jobs/j6").then().body("step", equalTo(4)); // each batch once
        JsonNode meta = json.readTree(Path.of(given().delete("/v1/jobs/j6").then().statusCode(200)
                .extract().<String>path("lastCheckpoint")).resolve("trainer.json").toFile());
        assertEquals(List.of(0L, 3L), List.of(meta.get("lastBatch").get(0).asLong(), meta.get("lastBatch").get(1).asLong()),
                "the last batch trained is stored, so a resumed job skips the same ones");
    }

    @Test
    void noJobIdOrDatasetNameReachesTheServicesFoldersOrTheParent() throws Exception {
        Path root = Path.of(ConfigProvider.getConfig()
                .getValue("llm.trainer.checkpoint-dir", String.class)).toAbsolutePath();
        Files.createDirectories(root.resolve("adapters/a1"));
        Files.writeString(root.resolve("adapters/a1/adapter_model.safetensors"), "adapter");
        Files.createDirectories(root.resolve(".finetune-jobs"));
        Files.writeString(root.resolve(".finetune-jobs/kept.json"), "{}");
        for (String id : List.of("adapters", ".finetune-jobs", ".set-aside", "..", ".", "a/b", "x".repeat(129))) {
            given().contentType("application/json").body(Map.of("id", id, "dataset", "n1"))
                    .post("/v1/jobs").then().statusCode(400).contentType("application/problem+json")
                    .body("detail", containsString("'id'"));
        }
        given().contentType("application/json").body(Map.of("id", "n2", "dataset", ".."))
                .post("/v1/jobs").then().statusCode(400).body("detail", containsString("'dataset' must be"));
        // auto-jobs take the dataset's name: a reserved or unsafe one dead-letters its batches with the reason
        String kafka = KafkaBrokerResource.bootstrapServers();
        for (String dataset : List.of("adapters", "..")) TestKafka.send(kafka, Topics.TRAIN_BATCHES, dataset, batch(dataset, 0, 5).encode());
        var dead = TestKafka.await(kafka, Topics.BATCHES_DLQ, 2, Duration.ofSeconds(30), r -> "adapters".equals(r.key()) || "..".equals(r.key()));
        for (var r : dead) {
            assertTrue(TestKafka.header(r.headers(), "dead-letter-reason").contains("no auto-job for dataset"), r.key());
        }
        // and a job posted for such a dataset under its own id trains it
        given().contentType("application/json").body(Map.of("id", "for-adapters", "dataset", "adapters", "checkpointEvery", 1))
                .post("/v1/jobs").then().statusCode(201);
        TestKafka.send(kafka, Topics.TRAIN_BATCHES, "adapters", batch("adapters", 1, 5).encode());
        TestKafka.await(kafka, Topics.CHECKPOINTS, 1, Duration.ofSeconds(30), r -> "for-adapters".equals(r.key()));

        assertEquals("adapter", Files.readString(root.resolve("adapters/a1/adapter_model.safetensors")), "adapters untouched");
        assertEquals("{}", Files.readString(root.resolve(".finetune-jobs/kept.json")), "the fine-tuning job store untouched");
        assertTrue(Files.isDirectory(root.resolve("for-adapters/step-1")));
        try (var beside = Files.list(root.getParent())) {
            assertTrue(beside.noneMatch(p -> p.getFileName().toString().startsWith("step-")), "nothing written beside checkpoint-dir");
        }
    }

    @Test
    void modelSizesOutsideTheEngineOrTheMemoryBudgetAre400() {
        for (Map<String, Object> spec : List.<Map<String, Object>>of(
                Map.of("dataset", "m1", "heads", 0),
                Map.of("dataset", "m1", "embeddingDim", 1 << 20, "heads", 1),
                Map.of("dataset", "m1", "contextLength", Integer.MAX_VALUE),
                Map.of("dataset", "m1", "layers", 100000),
                Map.of("dataset", "m1", "preset", "gpt2-xl"))) { // 1.6 B parameters: 25 GB to train, beyond the test heap's half
            given().contentType("application/json").body(spec).post("/v1/jobs").then().statusCode(400)
                    .contentType("application/problem+json").body("detail", Matchers.anyOf(
                            containsString("model sizes"), containsString("MiB")));
        }
    }

    /**
     * A checkpoint that cannot be written (here a file stands where the job's folder goes; a full volume fails the
     * same way): no batch is dead-lettered, nothing partial is announced, the job says why and trains on, and the
     * next checkpoint, once the volume takes it again, is whole and announced.
     */
    @Test
    void aCheckpointThatCannotBeWrittenIsReportedAndRetriedNotAnnounced() throws Exception {
        Path root = Path.of(ConfigProvider.getConfig()
                .getValue("llm.trainer.checkpoint-dir", String.class)).toAbsolutePath();
        given().contentType("application/json").body(Map.of("id", "full", "dataset", "fulld", "checkpointEvery", 2))
                .post("/v1/jobs").then().statusCode(201);
        Files.delete(root.resolve("full").resolve("job.json")); // the posted spec; the job is running now
        Files.delete(root.resolve("full"));
        Files.writeString(root.resolve("full"), "in the way");
        String kafka = KafkaBrokerResource.bootstrapServers();
        for (int i = 0; i < 2; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "fulld", batch("fulld", i, 21).encode());
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/jobs/full").then().body("step", equalTo(2))
                        .body("checkpointError", containsString("checkpoint of step 2 failed")));
        given().get("/q/metrics").then().body(containsString("llm_trainer_checkpoint_failures_total"));

        Files.delete(root.resolve("full"));
        for (int i = 2; i < 4; i++) TestKafka.send(kafka, Topics.TRAIN_BATCHES, "fulld", batch("fulld", i, 21).encode());
        var announced = TestKafka.await(kafka, Topics.CHECKPOINTS, 1, Duration.ofSeconds(30), r -> "full".equals(r.key()));
        assertEquals(4L, read(announced.getFirst().value(), CheckpointAnnouncement.class).step(), "step 2 was never announced");
        given().get("/v1/jobs/full").then().body("step", equalTo(4)).body("checkpointError", Matchers.nullValue());
        assertTrue(TestKafka.await(kafka, Topics.BATCHES_DLQ, 1, Duration.ofSeconds(10), r -> "fulld".equals(r.key())).isEmpty(),
                "no trained batch was dead-lettered");
    }

    private <T> T read(byte[] bytes, Class<T> type) {
        try {
            return json.readValue(bytes, type);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
