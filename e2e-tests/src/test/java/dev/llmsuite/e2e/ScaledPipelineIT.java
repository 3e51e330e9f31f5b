package dev.llmsuite.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.cli.LocalSuite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.utils.Utils;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three tokenizer replicas (one consumer group, stateless), two sampler replicas (one Kafka Streams application)
 * and two trainer replicas (one consumer group), every topic a dataset travels on with a partition per replica: datasets on different partitions are sampled and trained on different
 * replicas; when a sampler and a trainer are killed their datasets and jobs move to the others and, once they are
 * back, are shared out again. Every batch ends up in each model once, with an uninterrupted run's losses.
 */
class ScaledPipelineIT {
    private static final Path VERDICT = Path.of(System.getProperty("suite.root", "..")).resolve("../shared/data/corpus/the-verdict.txt");
    private static final List<String> TRAINERS = List.of("trainer-service", "trainer-service-2");
    private static final List<String> SAMPLERS = List.of("sampler-service", "sampler-service-2");
    private static final List<String> TOKENIZERS = List.of("tokenizer-service", "tokenizer-service-2", "tokenizer-service-3");
    static LocalSuite suite;

    @BeforeAll
    static void startSuite() throws IOException {
        Path root = Path.of(System.getProperty("suite.root", "..")).toAbsolutePath().normalize();
        Path work = root.resolve("e2e-tests/target/e2e-scaled-" + UUID.randomUUID());
        suite = LocalSuite.start(root, PipelineIT.freePortRun(8), work, Map.of(
                        // a first epoch ends 6 s after its last chunk: a sampler is killed in that gap
                        "sampler-service", Map.of("llm.sampler.end-of-data-after", "6s"),
                        "trainer-service", Map.of("llm.trainer.checkpoint-every-batches", "2")),
                new LocalSuite.Replicas(TOKENIZERS.size(), SAMPLERS.size(), TRAINERS.size()), Duration.ofSeconds(120), line -> System.out.println("[e2e-scaled] " + line));
        assertEquals(TRAINERS, suite.instances("trainer-service"));
        assertEquals(SAMPLERS, suite.instances("sampler-service"));
        assertEquals(TOKENIZERS, suite.instances("tokenizer-service"));
    }

    @AfterAll
    static void stopSuite() {
        if (suite != null) suite.close();
    }

    /** A dataset name whose batches go to this partition of two (Kafka's default partitioner on the dataset key). */
    private static String datasetOn(int partition, String prefix) {
        for (int i = 0; ; i++) {
            String name = prefix + "-" + i;
            if (Utils.toPositive(Utils.murmur2(name.getBytes(StandardCharsets.UTF_8))) % 2 == partition) return name;
        }
    }

    /**
     * The book's chapter-5 setting on The Verdict (as PipelineIT's). The job is posted to the first trainer, which
     * forwards it to the replica that owns the dataset's partition when that is the other one.
     */
    private static void sampleAndTrain(String dataset) throws IOException {
        prepare(dataset);
        postTheVerdict(dataset);
    }

    /** The dataset's spec and its job. */
    private static void prepare(String dataset) {
        given().baseUri(suite.url("sampler-service", "")).contentType("application/json")
                .body(Map.of("maxLength", 256, "stride", 256, "batchSize", 2, "trainFraction", 0.9, "epochs", 3,
                        "shuffleBuffer", 4, "seed", 11))
                .post("/v1/datasets/" + dataset + "/sampling").then().statusCode(201);
        Map<String, Object> job = Map.of("id", dataset + "-run", "dataset", dataset, "maxSteps", 27, "checkpointEvery", 4,
                "evalEvery", 9, "learningRate", 0.0004, "seed", 5);
        given().baseUri(suite.url(TRAINERS.getFirst(), "")).contentType("application/json").body(job).post("/v1/jobs")
                .then().statusCode(201);
    }

    /** The dataset's one document, to the tokenizer. */
    private static void postTheVerdict(String dataset) throws IOException {
        given().baseUri(suite.url("tokenizer-service", "")).contentType("application/json")
                .body(Map.of("id", "the-verdict", "text", Files.readString(VERDICT)))
                .post("/v1/datasets/" + dataset + "/documents").then().statusCode(202);
    }

    /** The replica that trains the job now, or null (none holds it at this moment: a rebalance). Asks each for its own jobs. */
    private static String ownerOf(String job) {
        return TRAINERS.stream().filter(t -> {
            try {
                return given().baseUri(suite.url(t, "")).header("X-Llm-Forwarded", "1").get("/v1/jobs/" + job).statusCode() == 200;
            } catch (Exception e) { // a killed replica does not answer (a ConnectException, thrown unchecked by RestAssured)
                return false;
            }
        }).findFirst().orElse(null);
    }

    /** The dataset's sampling as this sampler answers it (forwarding to the replica that holds it); empty when it cannot. */
    private static JsonNode sampling(String sampler, String dataset) throws IOException {
        try {
            var answer = given().baseUri(suite.url(sampler, "")).get("/v1/datasets/" + dataset + "/sampling");
            if (answer.statusCode() == 200) return new ObjectMapper().readTree(answer.asString());
        } catch (Exception e) { // a killed replica does not answer
            // empty
        }
        return new ObjectMapper().createObjectNode();
    }

    /** Documents this tokenizer replica tokenized, from its metrics. */
    private static double tokenizedDocuments(String tokenizer) {
        String sample = "llm_tokenizer_documents_total{outcome=\"tokenized\"} ";
        for (String line : given().baseUri(suite.url(tokenizer, "")).get("/q/metrics").asString().split("\n")) {
            if (line.startsWith(sample)) return Double.parseDouble(line.substring(sample.length()).trim());
        }
        return 0;
    }

    /** The job's status as any live replica answers it (forwarding to the one that holds it); empty while none can. */
    private static JsonNode job(String id) throws IOException {
        for (String trainer : TRAINERS) {
            try {
                var answer = given().baseUri(suite.url(trainer, "")).get("/v1/jobs/" + id);
                if (answer.statusCode() == 200) return new ObjectMapper().readTree(answer.asString());
            } catch (Exception e) { // a killed replica does not answer
                // the next one
            }
        }
        return new ObjectMapper().createObjectNode();
    }

    @Test
    void aKilledSamplersAndTrainersWorkMovesToTheOthersAndBackAndEveryBatchIsTrainedWithAnUninterruptedRunsLosses() throws Exception {
        assumeTrue(Files.exists(VERDICT), "skipped: ../shared/data/corpus/the-verdict.txt is absent");
        sampleAndTrain("alone");
        await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> assertEquals("completed", job("alone-run").path("state").asText()));
        Map<String, List<Double>> expected = TrainingMetrics.lossesByBatch(suite.bootstrapServers(), "alone", 27);
        assertEquals(27, expected.size());

        // Four datasets at once, two on each partition: the partition-0 pair loses its trainer, one dataset its sampler.
        String killed = datasetOn(0, "scaled"), moved = datasetOn(1, "scaled"), killedToo = datasetOn(0, "more"),
                movedToo = datasetOn(1, "more");
        List<String> four = List.of(killed, moved, killedToo, movedToo);
        for (String dataset : four) prepare(dataset);
        for (String dataset : four) postTheVerdict(dataset);
        // The sampler that holds a dataset dies in its first epoch (batches out, the quiet period not over): the
        // dataset moves to the other sampler, which restores its stores from the changelogs and goes on.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> sampling(SAMPLERS.getLast(), killed).path("trainBatches").asLong() > 0);
        String samplerVictim = SAMPLERS.stream().filter(s -> given().baseUri(suite.url(s, "")).header("X-Llm-Forwarded", "1")
                .get("/v1/datasets/" + killed + "/sampling").statusCode() == 200).findFirst().orElseThrow();
        JsonNode beforeKill = sampling(samplerVictim, killed);
        assertEquals("sampling", beforeKill.path("state").asText(), "killed mid-run");
        assertEquals(0, beforeKill.path("epoch").asInt(), "in its first epoch");
        for (String sampler : SAMPLERS) { // each sampler answers for both datasets, whichever holds them
            given().baseUri(suite.url(sampler, "")).get("/v1/datasets/" + moved + "/sampling").then().statusCode(200)
                    .body("dataset", Matchers.equalTo(moved));
        }
        suite.kill(samplerVictim);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> job(killed + "-run").path("step").asLong() >= 6 && ownerOf(moved + "-run") != null);
        suite.restart(samplerVictim, Duration.ofSeconds(120));
        String victim = ownerOf(killed + "-run"), survivor = ownerOf(moved + "-run");
        assertNotEquals(victim, survivor, "datasets on different partitions train on different replicas");
        for (String trainer : TRAINERS) { // each replica lists both jobs and answers for both, whichever holds them
            given().baseUri(suite.url(trainer, "")).get("/v1/jobs").then().statusCode(200)
                    .body("id", Matchers.hasItems(killed + "-run", moved + "-run", "alone-run"));
            given().baseUri(suite.url(trainer, "")).get("/v1/training/" + moved).then().statusCode(200).body("id", Matchers.equalTo(moved + "-run"));
        }

        suite.kill(victim); // SIGKILL: the group notices after its session timeout (10 s) and gives the partition over
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> survivor.equals(ownerOf(killed + "-run")));
        suite.restart(victim, Duration.ofSeconds(120)); // it rejoins: the partitions are shared out again
        for (String dataset : four) {
            await().atMost(Duration.ofSeconds(300)).untilAsserted(() -> assertEquals("completed", job(dataset + "-run").path("state").asText()));
            assertEquals(27, job(dataset + "-run").path("step").asLong(), dataset + ": each batch once in the model");
            JsonNode sampled = sampling(SAMPLERS.getFirst(), dataset);
            assertEquals("done", sampled.path("state").asText(), dataset);
            assertEquals(27, sampled.path("trainBatches").asLong(), dataset + ": every batch sent once, across the sampler's death");
            assertEquals(60, sampled.path("windows").asLong(), dataset + ": 20 windows an epoch, three epochs");
        }

        // The documents were tokenized by the tokenizer replicas between them: each document once.
        double tokenized = 0;
        int working = 0;
        for (String tokenizer : TOKENIZERS) {
            double n = tokenizedDocuments(tokenizer);
            tokenized += n;
            if (n > 0) working++;
        }
        assertEquals(5, tokenized, "five documents, each tokenized once");
        assertTrue(working > 1, "more than one tokenizer took documents");

        // The datasets whose trainer died: steps after their last checkpoint were trained again, with the same losses.
        for (String dataset : List.of(killed, killedToo)) {
            Map<String, List<Double>> afterKill = TrainingMetrics.lossesByBatch(suite.bootstrapServers(), dataset, 27);
            assertEquals(expected.keySet(), afterKill.keySet(), dataset + ": the same (epoch, batch) pairs were trained");
            afterKill.forEach((batch, losses) -> losses.forEach(loss ->
                    assertEquals(expected.get(batch).getFirst(), loss, 0.0, dataset + " batch " + batch)));
        }
        // The datasets handed over in two rebalances, each with a checkpoint: every batch exactly once.
        for (String dataset : List.of(moved, movedToo)) {
            Map<String, List<Double>> handedOver = TrainingMetrics.lossesByBatch(suite.bootstrapServers(), dataset, 27);
            assertEquals(expected.keySet(), handedOver.keySet(), dataset);
            handedOver.forEach((batch, losses) -> assertEquals(List.of(expected.get(batch).getFirst()), losses, dataset + " batch " + batch));
        }
    }
}
