package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test profile: max_length 4, stride 4, B 2, every 3rd window to validation. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class SamplerServiceTest {

    @Test
    void chunksBecomeBatchesOfBooksWindows() {
        String kafka = KafkaBrokerResource.bootstrapServers();
        int[] ids = new int[25]; // windows at 0,4,...,20 need ids up to 24: 6 windows
        for (int i = 0; i < ids.length; i++) ids[i] = 1000 + i;
        TestKafka.send(kafka, Topics.TOKENS, "s1", new TokenChunk("s1", "d", 0, false, "h", Arrays.copyOf(ids, 10)).encode());
        TestKafka.send(kafka, Topics.TOKENS, "s1", new TokenChunk("s1", "d", 1, true, "h", Arrays.copyOfRange(ids, 10, 25)).encode());

        // windows 0,1 | 3,4 -> train (2 batches of 2); windows 2,5 -> validation (1 batch of 2)
        List<TrainingBatch> train = TestKafka.await(kafka, Topics.TRAIN_BATCHES, 2, Duration.ofSeconds(30), r -> "s1".equals(r.key()))
                .stream().map(r -> TrainingBatch.decode(r.value()))
                .sorted(Comparator.comparingLong(TrainingBatch::batchIndex)).toList();
        List<TrainingBatch> val = TestKafka.await(kafka, Topics.VAL_BATCHES, 1, Duration.ofSeconds(30), r -> "s1".equals(r.key()))
                .stream().map(r -> TrainingBatch.decode(r.value())).toList();
        assertEquals(2, train.size());
        assertEquals(1, val.size());
        assertEquals(Split.TRAIN, train.get(0).split());
        assertArrayEquals(new int[] {1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007}, train.get(0).inputs());
        assertArrayEquals(new int[] {1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008}, train.get(0).targets());
        assertArrayEquals(new int[] {1008, 1009, 1010, 1011, 1020, 1021, 1022, 1023}, val.get(0).inputs());
        assertArrayEquals(new int[] {1009, 1010, 1011, 1012, 1021, 1022, 1023, 1024}, val.get(0).targets());

        given().get("/q/metrics").then().statusCode(200).body(containsString("llm_sampler_windows_total"));
    }

    @Test
    void aPostedSpecDrivesTheDatasetAndLaterEpochsReplayTheTopic() {
        given().contentType("application/json").body(Map.of("maxLength", 3, "stride", 3, "batchSize", 2,
                        "trainFraction", 1.0, "epochs", 3, "shuffleBuffer", 4, "seed", 5))
                .post("/v1/datasets/ep/sampling").then().statusCode(201).body("spec.epochs", Matchers.equalTo(3));
        given().contentType("application/json").body(Map.of("maxLength", 0))
                .post("/v1/datasets/bad/sampling").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("maxLength"));
        given().get("/v1/datasets/none/sampling").then().statusCode(404);

        String kafka = KafkaBrokerResource.bootstrapServers();
        int[] ids = new int[25]; // 8 windows of 3 -> 4 batches of 2 per epoch
        for (int i = 0; i < ids.length; i++) ids[i] = 500 + i;
        TestKafka.send(kafka, Topics.TOKENS, "ep", new TokenChunk("ep", "doc", 0, true, "h", ids).encode());
        // The chunk arrives asynchronously: once sampling has started, a new spec is refused.
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/datasets/ep/sampling").then().statusCode(200)
                        .body("state", Matchers.not(Matchers.equalTo("waiting for tokens"))));
        given().contentType("application/json").body(Map.of("maxLength", 5))
                .post("/v1/datasets/ep/sampling").then().statusCode(409);

        List<TrainingBatch> all = TestKafka.await(kafka, Topics.TRAIN_BATCHES, 12, Duration.ofSeconds(60), r -> "ep".equals(r.key()))
                .stream().map(r -> TrainingBatch.decode(r.value())).toList();
        assertEquals(12, all.size());
        for (int e = 0; e < 3; e++) {
            int epoch = e;
            List<TrainingBatch> inEpoch = all.stream().filter(b -> b.epoch() == epoch).toList();
            assertEquals(List.of(0L, 1L, 2L, 3L), inEpoch.stream().map(TrainingBatch::batchIndex).sorted().toList(), "epoch " + e);
            List<Integer> starts = new ArrayList<>();
            for (TrainingBatch b : inEpoch) for (int w = 0; w < b.batchSize(); w++) starts.add(b.inputs()[w * 3]);
            assertEquals(List.of(500, 503, 506, 509, 512, 515, 518, 521), starts.stream().sorted().toList(), "every window once in epoch " + e);
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/datasets/ep/sampling").then().statusCode(200)
                        .body("state", Matchers.equalTo("done")).body("trainBatches", Matchers.equalTo(12))
                        .body("windows", Matchers.equalTo(24)));
    }

    @Test
    void aVocabularyMismatchGoesToTheDeadLetterTopic() {
        String kafka = KafkaBrokerResource.bootstrapServers();
        TestKafka.send(kafka, Topics.TOKENS, "s2", new TokenChunk("s2", "a", 0, true, "vocab-A", new int[] {1, 2}).encode());
        TestKafka.send(kafka, Topics.TOKENS, "s2", new TokenChunk("s2", "b", 0, true, "vocab-B", new int[] {1, 2}).encode());
        var dead = TestKafka.await(kafka, Topics.TOKENS_DLQ, 1, Duration.ofSeconds(30), r -> "s2".equals(r.key()));
        assertEquals(1, dead.size());
        String reason = TestKafka.header(dead.get(0).headers(), "dead-letter-reason");
        assertTrue(reason.contains("vocabulary hash vocab-B does not match"), reason);
    }

    /** Test profile: a dataset may take 16 MiB (8 MiB of held windows, 4 MiB for one document's windows). */
    @Test
    void specsAndDocumentsOverTheDatasetsMemoryBudgetAreRefusedAndTheSamplerStaysLive() {
        // each field within its cap, their product ~500 GB: refused before anything is held
        given().contentType("application/json").body(Map.of("maxLength", 65536, "stride", 1, "shuffleBuffer", 1000000))
                .post("/v1/datasets/greedy/sampling").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("llm.sampler.max-dataset-bytes"));
        given().get("/v1/datasets/greedy/sampling").then().statusCode(404);

        // a small spec, but stride 1 over a 10,000-token document: 8,976 windows of 8 KiB at once
        given().contentType("application/json").body(Map.of("maxLength", 1024, "stride", 1, "shuffleBuffer", 1,
                "batchSize", 1, "trainFraction", 1.0)).post("/v1/datasets/wide/sampling").then().statusCode(201);
        String kafka = KafkaBrokerResource.bootstrapServers();
        TestKafka.send(kafka, Topics.TOKENS, "wide", new TokenChunk("wide", "huge", 0, true, "h", new int[10_000]).encode());
        var dead = TestKafka.await(kafka, Topics.TOKENS_DLQ, 1, Duration.ofSeconds(30), r -> "wide".equals(r.key()));
        String reason = TestKafka.header(dead.getFirst().headers(), "dead-letter-reason");
        assertTrue(reason.contains("the document is left out"), reason);

        // the dataset and the service go on: a document within the budget is sampled
        TestKafka.send(kafka, Topics.TOKENS, "wide", new TokenChunk("wide", "fits", 0, true, "h", new int[1100]).encode());
        assertEquals(76, TestKafka.await(kafka, Topics.TRAIN_BATCHES, 76, Duration.ofSeconds(30), r -> "wide".equals(r.key())).size());
        given().get("/q/health/live").then().statusCode(200);
        given().get("/v1/datasets/wide/sampling").then().statusCode(200).body("documents", Matchers.equalTo(1));
    }
}
