package dev.llmsuite.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.cli.LocalSuite;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A document posted to tokenizer-service reaches inference-service through the real broker. */
class PipelineIT {
    static LocalSuite suite;
    static Path workDir;

    @BeforeAll
    static void startSuite() throws IOException {
        Path root = Path.of(System.getProperty("suite.root", "..")).toAbsolutePath().normalize();
        Path work = root.resolve("e2e-tests/target/e2e-work-" + UUID.randomUUID());
        workDir = work;
        suite = smallSuite(root, work, "[e2e] ");
    }

    /** The four services on the embedded broker, sampling windows of 8 in batches of 2, checkpointing every 2 steps. */
    static LocalSuite smallSuite(Path root, Path work, String logPrefix) throws IOException {
        return LocalSuite.start(root, freePortRun(4), work, Map.of(
                        "sampler-service", Map.of("llm.sampler.max-length", "8", "llm.sampler.stride", "8",
                                "llm.sampler.batch-size", "2", "llm.sampler.train-fraction", "0.8", "llm.sampler.end-of-data-after", "1s"),
                        "trainer-service", Map.of("llm.trainer.checkpoint-every-batches", "2")),
                Duration.ofSeconds(120), line -> System.out.println(logPrefix + line));
    }

    @AfterAll
    static void stopSuite() {
        if (suite != null) suite.close();
    }

    @Test
    void aDocumentTravelsTokenizerSamplerTrainerInference() throws Exception {
        String text = "The sampler slides a window over the token stream; the trainer learns from batches. ".repeat(8);
        given().baseUri(suite.url("tokenizer-service", "")).contentType("application/json")
                .body(Map.of("id", "doc-1", "text", text))
                .post("/v1/datasets/e2e/documents")
                .then().statusCode(202);

        // On the broker: token chunks, batches and a checkpoint announcement for the dataset.
        List<ConsumerRecord<String, byte[]>> chunks = read(Topics.TOKENS, "e2e", 1);
        TokenChunk chunk = TokenChunk.decode(chunks.get(0).value());
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        int[] ids = chunk.ids();
        assertEquals(Encodings.GPT2_END_OF_TEXT, ids[ids.length - 1], "documents end with <|endoftext|>");
        assertEquals(text, gpt2.decode(Arrays.copyOf(ids, ids.length - 1)), "GPT-2 ids of the text");
        assertEquals(Encodings.gpt2().hash(), chunk.vocabularyHash());
        List<ConsumerRecord<String, byte[]>> batches = read(Topics.TRAIN_BATCHES, "e2e", 2);
        TrainingBatch first = TrainingBatch.decode(batches.get(0).value());
        assertEquals(8, first.contextLength());
        assertEquals(first.inputs()[1], first.targets()[0], "targets are inputs shifted by one");
        List<ConsumerRecord<String, byte[]>> announced = read(Topics.CHECKPOINTS, "e2e", 1);
        JsonNode announcement = new ObjectMapper().readTree(announced.get(0).value());
        assertEquals("e2e", announcement.get("model").asText());

        // inference-service loaded it, and every service counted the record on its way through.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().baseUri(suite.url("inference-service", "")).get("/v1/models/e2e")
                        .then().statusCode(200).body("id", equalTo("e2e")));
        assertCounted("tokenizer-service", "llm_tokenizer_documents_total{outcome=\"tokenized\"}");
        assertCounted("sampler-service", "llm_sampler_batches_total");
        assertCounted("trainer-service", "llm_trainer_tokens_total");
        assertCounted("inference-service", "llm_inference_checkpoints_total{outcome=\"loaded\"}");
    }

    /**
     * Chapter 6 as services: a base checkpoint, labelled texts on finetune.examples, a fine-tuning job in
     * trainer-service, and the classifier it announces answering POST /v1/classify in inference-service.
     */
    @Test
    void aClassifierFineTunedFromKafkaExamplesIsServedByInference() throws Exception {
        tinyBase();
        sendThings("things");
        given().baseUri(suite.url("trainer-service", "")).contentType("application/json")
                .body(Map.of("id", "things-classifier", "task", "classification", "base", "pretrained-tiny/step-1",
                        "dataset", "things", "mode", "all", "epochs", 8, "learningRate", 3e-3))
                .post("/v1/finetune-jobs").then().statusCode(201);
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                given().baseUri(suite.url("trainer-service", "")).get("/v1/finetune-jobs/things-classifier")
                        .then().statusCode(200).body("state", equalTo("completed")));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().baseUri(suite.url("inference-service", "")).get("/v1/models/things-classifier").then().statusCode(200));
        given().baseUri(suite.url("inference-service", "")).contentType("application/json")
                .body(Map.of("model", "things-classifier", "input", List.of("banana apple melon", "drill saw hammer")))
                .post("/v1/classify").then().statusCode(200)
                .body("data[0].label", equalTo("fruit")).body("data[1].label", equalTo("tool"));
    }

    @Test
    void aFineTuningJobOutlivesTrainerRestarts() throws Exception {
        tinyBase();
        var trainer = given().baseUri(suite.url("trainer-service", ""));
        trainer.contentType("application/json")
                .body(Map.of("id", "late-classifier", "task", "classification", "base", "pretrained-tiny", // its newest step
                        "dataset", "late-things", "mode", "all", "epochs", 2, "learningRate", 3e-3))
                .post("/v1/finetune-jobs").then().statusCode(201).body("state", equalTo("waiting"));
        suite.kill("trainer-service"); // before its data arrived: the job must not be forgotten
        suite.restart("trainer-service", Duration.ofSeconds(120));
        given().baseUri(suite.url("trainer-service", "")).get("/v1/finetune-jobs/late-classifier")
                .then().statusCode(200).body("state", equalTo("waiting"));
        sendThings("late-things");
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                given().baseUri(suite.url("trainer-service", "")).get("/v1/finetune-jobs/late-classifier")
                        .then().statusCode(200).body("state", equalTo("completed")));
        double accuracy = given().baseUri(suite.url("trainer-service", "")).get("/v1/finetune-jobs/late-classifier")
                .then().extract().jsonPath().getDouble("result.testAccuracy");

        suite.stop("trainer-service");
        suite.restart("trainer-service", Duration.ofSeconds(120));
        var after = given().baseUri(suite.url("trainer-service", "")).get("/v1/finetune-jobs/late-classifier").then().statusCode(200)
                .body("state", equalTo("completed")).body("model", equalTo("late-classifier"))
                .body("checkpoint", Matchers.matchesPattern(".*/late-classifier/step-\\d+"))
                .extract().jsonPath();
        assertEquals(accuracy, after.getDouble("result.testAccuracy"), 1e-12, "its result, read back from its checkpoint");
        given().baseUri(suite.url("trainer-service", "")).contentType("application/json")
                .body(Map.of("id", "late-classifier", "task", "classification", "base", "pretrained-tiny/step-1", "dataset", "late-things"))
                .post("/v1/finetune-jobs").then().statusCode(409);
    }

    /** A tiny GPT-2-vocabulary base for fine-tuning jobs, at checkpoints/pretrained-tiny/step-1 (written once). */
    private static synchronized void tinyBase() throws IOException {
        Path base = workDir.resolve("checkpoints/pretrained-tiny/step-1");
        if (Files.exists(base.resolve("model.safetensors"))) return;
        try (var be = new CpuBackend(1)) {
            var m = new GptModel(be, new GptConfig(50257, 64, 16, 2, 2, 0.0, false, true));
            m.initialize(5);
            HfCheckpoint.save(m, base);
        }
    }

    /** 80 labelled texts (fruit or tool words) and the closing record, on finetune.examples. */
    private static void sendThings(String dataset) throws Exception {
        ObjectMapper json = new ObjectMapper();
        String[] fruit = {"apple", "banana", "cherry", "grape", "melon"}, tools = {"hammer", "wrench", "drill", "saw", "pliers"};
        Random r = new Random(3);
        try (var producer = new KafkaProducer<String, byte[]>(
                Map.<String, Object>of("bootstrap.servers", suite.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 40; i++) {
                for (String[] words : new String[][] {fruit, tools}) {
                    String text = words[r.nextInt(5)] + " " + words[r.nextInt(5)] + " " + words[r.nextInt(5)];
                    producer.send(new ProducerRecord<>(Topics.FINETUNE_EXAMPLES, dataset,
                            json.writeValueAsBytes(Map.of("dataset", dataset, "text", text, "label", words == fruit ? "fruit" : "tool"))));
                }
            }
            producer.send(new ProducerRecord<>(Topics.FINETUNE_EXAMPLES, dataset,
                    json.writeValueAsBytes(Map.of("dataset", dataset, "end", true, "count", 80)))).get();
        }
    }

    private static final Path VERDICT = Path.of(System.getProperty("suite.root", "..")).resolve("../shared/data/corpus/the-verdict.txt");

    /** The book's chapter-5 data setting: 5,145 tokens, L = stride = 256, B = 2, 90/10, three epochs. */
    private static void sampleAndTrain(String dataset, String job) {
        given().baseUri(suite.url("sampler-service", "")).contentType("application/json")
                .body(Map.of("maxLength", 256, "stride", 256, "batchSize", 2, "trainFraction", 0.9, "epochs", 3,
                        "shuffleBuffer", 4, "seed", 11))
                .post("/v1/datasets/" + dataset + "/sampling").then().statusCode(201);
        given().baseUri(suite.url("trainer-service", "")).contentType("application/json")
                .body(Map.of("id", job, "dataset", dataset, "maxSteps", 27, "checkpointEvery", 4, "evalEvery", 9,
                        "learningRate", 0.0004, "seed", 5))
                .post("/v1/jobs").then().statusCode(201);
        try {
            given().baseUri(suite.url("tokenizer-service", "")).contentType("application/json")
                    .body(Map.of("id", "the-verdict", "text", Files.readString(VERDICT)))
                    .post("/v1/datasets/" + dataset + "/documents").then().statusCode(202);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The reference for a kill test: the book's run on the dataset, uninterrupted; (epoch, batch) → loss. */
    private static Map<String, List<Double>> uninterruptedLosses(String dataset) throws IOException {
        sampleAndTrain(dataset, dataset + "-run");
        await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> assertEquals("completed", job(dataset + "-run").get("state").asText()));
        return lossesByBatch(dataset, 27);
    }

    private static JsonNode job(String id) throws IOException {
        return new ObjectMapper().readTree(given().baseUri(suite.url("trainer-service", "")).get("/v1/jobs/" + id)
                .then().statusCode(200).extract().asString());
    }

    private static Map<String, List<Double>> lossesByBatch(String dataset, int batches) throws IOException {
        return TrainingMetrics.lossesByBatch(suite.bootstrapServers(), dataset, batches);
    }

    @Test
    void theVerdictIsSampledAsTheBookDoesAndTheLossFalls() throws Exception {
        Assumptions.assumeTrue(Files.exists(VERDICT), "skipped: ../shared/data/corpus/the-verdict.txt is absent");
        sampleAndTrain("verdict", "verdict-run");
        await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> assertEquals("completed", job("verdict-run").get("state").asText()));
        JsonNode sampling = new ObjectMapper().readTree(given().baseUri(suite.url("sampler-service", ""))
                .get("/v1/datasets/verdict/sampling").then().statusCode(200).extract().asString());
        assertEquals(5146, sampling.get("tokens").asLong() / 3, "The Verdict's 5,145 tokens and <|endoftext|>, three epochs");
        assertEquals(60, sampling.get("windows").asLong(), "20 windows an epoch");
        assertEquals(27, sampling.get("trainBatches").asLong(), "9 training batches an epoch");
        assertEquals(3, sampling.get("validationBatches").asLong(), "1 validation batch an epoch");
        Map<String, List<Double>> losses = lossesByBatch("verdict", 27);
        assertEquals(27, losses.size());
        double first = losses.get("0/0").get(0), last = losses.get("2/8").get(0);
        assertTrue(last < first - 1.0, "the training loss falls: " + first + " -> " + last);
        JsonNode status = job("verdict-run");
        assertTrue(status.get("validationLoss").isNumber(), "evaluated on the validation batch: " + status);
        assertTrue(status.get("sample").asText().startsWith("Every effort moves you"), status.get("sample").asText());
    }

    @Test
    void aTrainerKilledMidRunResumesAndTrainsEachBatchOnceWithTheSameLosses() throws Exception {
        Assumptions.assumeTrue(Files.exists(VERDICT), "skipped: ../shared/data/corpus/the-verdict.txt is absent");
        Map<String, List<Double>> expected = uninterruptedLosses("straight");

        sampleAndTrain("killed", "killed-run");
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> job("killed-run").get("step").asLong() >= 6);
        suite.kill("trainer-service");
        suite.restart("trainer-service", Duration.ofSeconds(120));
        JsonNode resumed = job("killed-run");
        assertTrue(resumed.get("step").asLong() >= 4, "resumed from a checkpoint, not from scratch: " + resumed);
        await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> assertEquals("completed", job("killed-run").get("state").asText()));

        Map<String, List<Double>> got = lossesByBatch("killed", 27);
        assertEquals(expected.keySet(), got.keySet(), "the same (epoch, batch) pairs were trained");
        assertEquals(27, job("killed-run").get("step").asLong(), "each batch once in the model");
        for (var e : got.entrySet()) {
            // a step after the last checkpoint was trained before the kill and again after it: same state, same loss,
            // to the bit (the engine computes the same in the restarted, not yet JIT-compiled JVM)
            for (double loss : e.getValue()) {
                assertEquals(expected.get(e.getKey()).get(0), loss, 0.0, "batch " + e.getKey());
            }
        }
    }

    /**
     * The broker goes silent for 20 s mid-training (SIGSTOP: connections stay open and nothing answers, the
     * harder case for clients than a refused connection; SIGCONT brings it back with its data). Producers
     * wait, consumers time out and rejoin; no batch is lost or trained twice, and the losses are an
     * uninterrupted run's to the bit.
     */
    @Test
    void aBrokerSilentFor20SecondsMidTrainingLosesAndRepeatsNothing() throws Exception {
        Assumptions.assumeTrue(Files.exists(VERDICT), "skipped: ../shared/data/corpus/the-verdict.txt is absent");
        Map<String, List<Double>> expected = uninterruptedLosses("outage-straight");

        sampleAndTrain("outage", "outage-run");
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> job("outage-run").get("step").asLong() >= 6);
        signal("STOP", suite.brokerPid());
        try {
            Thread.sleep(20_000);
        } finally {
            signal("CONT", suite.brokerPid());
        }
        await().atMost(Duration.ofSeconds(240)).untilAsserted(() -> assertEquals("completed", job("outage-run").get("state").asText()));

        assertEachBatchTrainedOnceWithTheLosses(expected, "outage", "outage-run");
    }

    /** Every batch of the book's run trained exactly once, each with the uninterrupted run's loss to the bit. */
    private static void assertEachBatchTrainedOnceWithTheLosses(Map<String, List<Double>> expected, String dataset, String job)
            throws IOException {
        Map<String, List<Double>> got = lossesByBatch(dataset, 27);
        assertEquals(expected.keySet(), got.keySet(), "the same (epoch, batch) pairs were trained");
        assertEquals(27, job(job).get("step").asLong(), "each batch once in the model");
        for (var e : got.entrySet()) {
            assertEquals(1, e.getValue().size(), "batch " + e.getKey() + " trained once");
            assertEquals(expected.get(e.getKey()).get(0), e.getValue().get(0), 0.0, "batch " + e.getKey());
        }
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor(), "kill -" + signal);
    }

    @Test
    void aSamplerKilledMidRunCatchesUpAndEveryBatchIsTrainedOnceWithTheSameLosses() throws Exception {
        Assumptions.assumeTrue(Files.exists(VERDICT), "skipped: ../shared/data/corpus/the-verdict.txt is absent");
        Map<String, List<Double>> expected = uninterruptedLosses("sampled-straight");

        sampleAndTrain("sampled-killed", "sampled-killed-run");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> sampling("sampled-killed").path("trainBatches").asLong() > 0);
        suite.kill("sampler-service"); // SIGKILL: whatever it held in memory is gone
        suite.restart("sampler-service", Duration.ofSeconds(120));
        await().atMost(Duration.ofSeconds(180)).untilAsserted(() -> assertEquals("completed", job("sampled-killed-run").get("state").asText()));

        assertEachBatchTrainedOnceWithTheLosses(expected, "sampled-killed", "sampled-killed-run");
        JsonNode after = sampling("sampled-killed");
        assertEquals("done", after.get("state").asText());
        assertEquals(256, after.get("spec").get("maxLength").asInt(), "the posted spec survived the restart");
        assertEquals(60, after.get("windows").asLong(), "20 windows an epoch, three epochs, counted again while catching up");
        assertEquals(27, after.get("trainBatches").asLong());
    }

    /**
     * The first-epoch path, made deterministic: a document left open (its last chunk not yet on the topic) keeps
     * the epoch from ending, so the sampler is killed in its first epoch, after the consumer group committed the
     * chunks so far. The restarted sampler reads those again from the topic, the rest arrive live, and the
     * batches equal those of an uninterrupted dataset fed the same chunks.
     */
    @Test
    void aSamplerKilledInItsFirstEpochCatchesUpFromTheCommittedChunks() throws Exception {
        Map<String, Object> spec = Map.of("maxLength", 8, "stride", 8, "batchSize", 2, "trainFraction", 0.8, "epochs", 2,
                "shuffleBuffer", 3, "seed", 9, "dedup", false);
        for (String dataset : List.of("first-straight", "first-killed")) {
            given().baseUri(suite.url("sampler-service", "")).contentType("application/json").body(spec)
                    .post("/v1/datasets/" + dataset + "/sampling").then().statusCode(201);
        }
        sendChunks("first-straight", 0, 9);
        await().atMost(Duration.ofSeconds(60)).until(() -> "done".equals(sampling("first-straight").path("state").asText()));

        long lastOffset = sendChunks("first-killed", 0, 6); // document b is open: the first epoch cannot end
        await().atMost(Duration.ofSeconds(60)).until(() -> sampling("first-killed").path("trainBatches").asLong() > 0);
        await().atMost(Duration.ofSeconds(60)).until(() -> committedTokens() > lastOffset);
        assertEquals(0, sampling("first-killed").path("epoch").asInt(), "still in the first epoch");
        suite.kill("sampler-service");
        suite.restart("sampler-service", Duration.ofSeconds(120));
        sendChunks("first-killed", 6, 9); // b's last chunk and one more document, live
        await().atMost(Duration.ofSeconds(60)).until(() -> "done".equals(sampling("first-killed").path("state").asText()));

        for (String topic : List.of(Topics.TRAIN_BATCHES, Topics.VAL_BATCHES)) {
            Map<String, String> straight = batches(topic, "first-straight"), killed = batches(topic, "first-killed");
            assertFalse(straight.isEmpty());
            assertEquals(straight, killed, topic + ": the same batches, each (epoch, index) with the same windows");
        }
    }

    /** Chunks [from, to) of the dataset's three documents (a: 3 chunks, b: 4 with its last at index 6, c: 2); returns the last offset. */
    private static long sendChunks(String dataset, int from, int to) throws Exception {
        Map<String, Object> config = Map.of("bootstrap.servers", suite.bootstrapServers());
        String[] doc = {"a", "a", "a", "b", "b", "b", "b", "c", "c"};
        int[] seq = {0, 1, 2, 0, 1, 2, 3, 0, 1};
        long last = -1;
        try (var producer = new KafkaProducer<>(config,
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                int[] ids = new int[13 + 5 * i];
                for (int j = 0; j < ids.length; j++) ids[j] = 100 * i + j;
                boolean lastOfDoc = i == 2 || i == 6 || i == 8;
                TokenChunk c = new TokenChunk(dataset, doc[i], seq[i], lastOfDoc, "e2e-vocab", ids);
                last = producer.send(new ProducerRecord<>(Topics.TOKENS, c.key(), c.encode()))
                        .get().offset();
            }
        }
        return last;
    }

    /** The sampler's committed offset on corpus.tokens (one partition). */
    private static long committedTokens() throws Exception {
        try (var admin = Admin.create(Map.<String, Object>of("bootstrap.servers", suite.bootstrapServers()))) {
            var o = admin.listConsumerGroupOffsets("sampler-service").partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(Topics.TOKENS, 0));
            return o == null ? -1 : o.offset();
        }
    }

    /** "epoch/index" → the batch's windows, for one dataset; a batch sent twice must have the same windows both times. */
    private static Map<String, String> batches(String topic, String dataset) {
        Map<String, String> out = new TreeMap<>();
        Map<String, Object> config = Map.of("bootstrap.servers", suite.bootstrapServers(),
                "group.id", "e2e-" + UUID.randomUUID(), "auto.offset.reset", "earliest");
        try (var consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long quietSince = System.nanoTime(), deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() - quietSince < Duration.ofSeconds(3).toNanos() && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(250))) {
                    quietSince = System.nanoTime();
                    if (!dataset.equals(r.key())) continue;
                    TrainingBatch b = TrainingBatch.decode(r.value());
                    String windows = Arrays.toString(b.inputs()) + Arrays.toString(b.targets());
                    String before = out.put(b.epoch() + "/" + b.batchIndex(), windows);
                    assertTrue(before == null || before.equals(windows), "batch " + b.epoch() + "/" + b.batchIndex() + " sent twice, differently");
                }
            }
        }
        return out;
    }

    private static JsonNode sampling(String dataset) throws IOException {
        return new ObjectMapper().readTree(given().baseUri(suite.url("sampler-service", ""))
                .get("/v1/datasets/" + dataset + "/sampling").then().statusCode(200).extract().asString());
    }

    @Test
    void sigtermWritesTheUnsavedStepsBeforeTheTrainerExits() throws Exception {
        Assumptions.assumeTrue(Files.exists(VERDICT), "skipped: ../shared/data/corpus/the-verdict.txt is absent");
        given().baseUri(suite.url("sampler-service", "")).contentType("application/json")
                .body(Map.of("maxLength", 256, "stride", 256, "batchSize", 2, "trainFraction", 0.9, "epochs", 1))
                .post("/v1/datasets/term/sampling").then().statusCode(201);
        given().baseUri(suite.url("trainer-service", "")).contentType("application/json")
                .body(Map.of("id", "term-run", "dataset", "term", "checkpointEvery", 1000, "evalEvery", 1000))
                .post("/v1/jobs").then().statusCode(201);
        given().baseUri(suite.url("tokenizer-service", "")).contentType("application/json")
                .body(Map.of("id", "the-verdict", "text", Files.readString(VERDICT)))
                .post("/v1/datasets/term/documents").then().statusCode(202);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                .until(() -> job("term-run").get("step").asLong() == 9);
        assertTrue(job("term-run").get("lastCheckpoint").isNull(), "nothing saved yet (no interval, not idle long enough)");
        suite.stop("trainer-service"); // SIGTERM
        Path checkpoint = workDir.resolve("checkpoints/term-run/step-9");
        assertTrue(Files.isRegularFile(checkpoint.resolve("optimizer.safetensors")), "written on SIGTERM: " + checkpoint);
        assertEquals(9, new ObjectMapper().readTree(checkpoint.resolve("trainer.json").toFile()).get("step").asInt());
        suite.restart("trainer-service", Duration.ofSeconds(120));
        assertEquals(9, job("term-run").get("step").asLong(), "resumed at the step SIGTERM saved");
    }

    private static void assertCounted(String service, String sample) {
        String metrics = given().baseUri(suite.url(service, "")).get("/q/metrics").then().statusCode(200)
                .extract().asString();
        double value = metrics.lines().filter(l -> l.startsWith(sample + " ") || l.startsWith(sample + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertTrue(value > 0, service + " counted nothing for " + sample);
    }

    private static List<ConsumerRecord<String, byte[]>> read(String topic, String key, int atLeast) {
        return KafkaReads.read(suite.bootstrapServers(), topic, key, atLeast, Duration.ofSeconds(60));
    }

    /** The first of n consecutive free loopback ports. */
    /**
     * n consecutive free ports below Linux's ephemeral range (32768+): the broker's and every client's
     * outgoing connections take ephemeral ports, so a run picked there can be taken before the last
     * service binds it (seen in CI).
     */
    static int freePortRun(int n) throws IOException {
        Random random = new Random();
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = 20_000 + random.nextInt(12_000);
            boolean free = true;
            for (int p = base; p < base + n && free; p++) {
                try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                    s.setReuseAddress(true);
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) return base;
        }
        throw new IOException("no run of " + n + " free ports in 20000-32000");
    }
}
