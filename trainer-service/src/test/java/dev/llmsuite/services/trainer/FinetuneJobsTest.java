package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fine-tuning through Kafka on a tiny model: examples on finetune.examples, a job over HTTP, the result
 * announced on model.checkpoints as a checkpoint inference-service can serve.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class FinetuneJobsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final GptConfig TINY_GPT2 = new GptConfig(50257, 64, 16, 2, 2, 0.0, false, true);

    private static Path checkpoints() {
        return ConfigProvider.getConfig().getValue("llm.trainer.checkpoint-dir", Path.class).toAbsolutePath();
    }

    @BeforeAll
    static void base() throws Exception {
        Path dir = checkpoints().resolve("pretrained").resolve("step-1");
        if (Files.exists(dir)) return;
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, TINY_GPT2);
            m.initialize(5);
            HfCheckpoint.save(m, dir);
        }
    }

    private static void send(String dataset, Map<String, Object> record) throws Exception {
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.FINETUNE_EXAMPLES, dataset, JSON.writeValueAsBytes(record));
    }

    /** Two labels whose texts share no word: a tiny model can learn them. */
    private static void labelledTexts(String dataset, int perLabel, int claimed) throws Exception {
        labelledTexts(dataset, perLabel, 0, claimed);
    }

    /** perLabel texts of each label, then extraFruit more fruit texts (which the balancing leaves out). */
    private static void labelledTexts(String dataset, int perLabel, int extraFruit, int claimed) throws Exception {
        Random r = new Random(1);
        String[] fruit = {"apple", "banana", "cherry", "grape", "melon"}, tools = {"hammer", "wrench", "drill", "saw", "pliers"};
        for (int i = 0; i < perLabel; i++) {
            send(dataset, Map.of("dataset", dataset, "text", fruit[r.nextInt(5)] + " " + fruit[r.nextInt(5)] + " " + fruit[r.nextInt(5)], "label", "fruit"));
            send(dataset, Map.of("dataset", dataset, "text", tools[r.nextInt(5)] + " " + tools[r.nextInt(5)] + " " + tools[r.nextInt(5)], "label", "tool"));
        }
        for (int i = 0; i < extraFruit; i++) {
            send(dataset, Map.of("dataset", dataset, "text", fruit[r.nextInt(5)] + " " + fruit[r.nextInt(5)] + " " + fruit[r.nextInt(5)], "label", "fruit"));
        }
        send(dataset, Map.of("dataset", dataset, "end", true, "count", claimed));
    }

    private static JsonNode awaitJob(String id) throws Exception {
        await().atMost(Duration.ofSeconds(120)).until(() -> {
            String state = given().get("/v1/finetune-jobs/" + id).then().statusCode(200).extract().path("state");
            return state.equals("completed") || state.equals("failed");
        });
        return JSON.readTree(given().get("/v1/finetune-jobs/" + id).then().extract().asString());
    }

    private static Map<String, Object> job(String id, String task, String dataset, Map<String, Object> more) {
        Map<String, Object> spec = new HashMap<>(Map.of("id", id, "task", task, "base", "pretrained/step-1", "dataset", dataset));
        spec.putAll(more);
        return spec;
    }

    @Test
    void aClassifierIsTrainedFromKafkaExamplesAndAnnounced() throws Exception {
        // the job first: it waits for its dataset to be closed
        given().contentType("application/json").body(job("fruit-or-tool", "classification", "fruits",
                        Map.of("mode", "all", "epochs", 8, "learningRate", 3e-3)))
                .post("/v1/finetune-jobs").then().statusCode(201).body("state", equalTo("waiting"));
        labelledTexts("fruits", 40, 80);
        JsonNode s = awaitJob("fruit-or-tool");
        assertEquals("completed", s.get("state").asText(), s.toString());
        assertEquals(80, s.get("examples").asInt());
        double accuracy = s.at("/result/testAccuracy").asDouble();
        assertTrue(accuracy >= 0.9, "learned the two labels: " + s.get("result"));
        assertEquals("fruit-or-tool", s.get("model").asText());

        CheckpointAnnouncement a = JSON.readValue(TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, 1,
                Duration.ofSeconds(30), r -> "fruit-or-tool".equals(r.key())).getFirst().value(), CheckpointAnnouncement.class);
        assertTrue(a.hashes().containsKey("classifier.safetensors") && a.hashes().containsKey("model.safetensors"), a.hashes().toString());
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = HfCheckpoint.load(be, Path.of(a.path()));
            assertEquals(List.of("fruit", "tool"), ClassifierFiles.load(m, Path.of(a.path())).labels());
        }

        // the last block only, after adapting the base to the training texts and the 20 fruit texts the balancing
        // leaves out (no labels; any of them equal to a validation or test text stays out)
        labelledTexts("fruits-plus", 40, 20, 100);
        given().contentType("application/json").body(job("fruit-adapted", "classification", "fruits-plus",
                        Map.of("mode", "last_block", "epochs", 2, "adaptEpochs", 2, "adaptLearningRate", 3e-3, "adaptLeftOut", true,
                                "keepBest", true)))
                .post("/v1/finetune-jobs").then().statusCode(201);
        JsonNode ad = awaitJob("fruit-adapted");
        assertEquals("completed", ad.get("state").asText(), ad.toString());
        assertEquals(2, ad.at("/result/adaptation/epochs").asInt());
        int leftOut = ad.at("/result/adaptation/leftOutTexts").asInt();
        assertTrue(leftOut > 0 && leftOut <= 20, "the surplus fruit texts: " + ad.get("result"));
        assertEquals(ad.at("/result/split/0").asInt() + leftOut, ad.at("/result/adaptation/texts").asInt(), ad.get("result").toString());
        assertTrue(List.of(1, 2).contains(ad.at("/result/epoch").asInt()), "the kept epoch: " + ad.get("result"));
        assertTrue(ad.at("/result/adaptation/lastEpochLoss").asDouble() < ad.at("/result/adaptation/firstLoss").asDouble(),
                "the base learned the training texts: " + ad.get("result"));

        // the same data with LoRA: adapters apart, for "model": "BASE+ID"
        given().contentType("application/json").body(job("fruit-lora", "classification", "fruits", Map.of("mode", "lora", "epochs", 2)))
                .post("/v1/finetune-jobs").then().statusCode(201);
        JsonNode l = awaitJob("fruit-lora");
        assertEquals("completed", l.get("state").asText(), l.toString());
        assertTrue(Files.isRegularFile(Path.of(l.get("adapter").asText()).resolve("adapter_model.safetensors")));
        assertTrue(l.at("/result/trainableParameters").asLong() < TINY_GPT2.withTiedOutputHead(true).parameterCount() / 5,
                "LoRA trains a small fraction: " + l.get("result"));
    }

    @Test
    void anInstructionModelIsTrainedAndItsLossFalls() throws Exception {
        for (int i = 0; i < 20; i++) {
            send("alpaca", Map.of("dataset", "alpaca", "instruction", "Repeat the word.", "input", "word " + (i % 4), "output", "word " + (i % 4)));
        }
        send("alpaca", Map.of("dataset", "alpaca", "end", true, "count", 20));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/finetune-datasets/alpaca").then().statusCode(200).body("state", equalTo("ready")));
        // a judge behind an OpenAI-compatible chat endpoint: scores its first answer, cannot score its second
        List<String> prompts = new CopyOnWriteArrayList<>();
        var judge = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        judge.createContext("/v1/chat/completions", exchange -> {
            JsonNode req = JSON.readTree(exchange.getRequestBody());
            prompts.add(req.at("/messages/0/content").asText());
            String answer = prompts.size() == 1 ? "85" : "I cannot rate this.";
            byte[] body = JSON.writeValueAsBytes(Map.of("choices", List.of(Map.of("index", 0, "message", Map.of("role", "assistant", "content", answer)))));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        judge.start();
        try {
            given().contentType("application/json").body(job("repeat", "instruction", "alpaca", Map.of("epochs", 3, "learningRate", 1e-3,
                            "batchSize", 4, "maxNewTokens", 8, "judgeUrl", "http://127.0.0.1:" + judge.getAddress().getPort() + "/v1",
                            "judgeModel", "a-judge")))
                    .post("/v1/finetune-jobs").then().statusCode(201);
            JsonNode s = awaitJob("repeat");
            assertEquals("completed", s.get("state").asText(), s.toString());
            assertTrue(s.at("/result/lastTrainLoss").asDouble() < s.at("/result/firstLoss").asDouble(), s.get("result").toString());
            Path checkpoint = Path.of(s.get("checkpoint").asText());
            assertTrue(Files.isRegularFile(checkpoint.resolve("model.safetensors")));
            // the test split (10% of 20) answered, and judged with the book's prompt
            assertEquals(2, Files.readAllLines(checkpoint.resolve("test-responses.jsonl")).size());
            assertEquals(2, prompts.size());
            assertTrue(prompts.getFirst().contains("score the model response") && prompts.getFirst().contains("Respond with the integer number only"),
                    prompts.getFirst());
            assertEquals(85.0, s.at("/result/judge/mean").asDouble(), s.toString());
            assertEquals(1, s.at("/result/judge/scored").asInt());
            assertEquals(1, s.at("/result/judge/unparseable").asInt());
            assertTrue(s.get("progress").asText().startsWith("judged 2/2"), s.get("progress").asText());
        } finally {
            judge.stop(0);
        }
    }

    @Test
    void badInputIsRefusedAtTheEdgeAndNothingIsLostSilently() throws Exception {
        // a dataset whose closing count disagrees with what arrived fails the job that wanted it
        labelledTexts("short", 3, 7);
        given().contentType("application/json").body(job("counted", "classification", "short", Map.of()))
                .post("/v1/finetune-jobs").then().statusCode(201);
        JsonNode s = awaitJob("counted");
        assertEquals("failed", s.get("state").asText());
        assertTrue(s.get("error").asText().contains("counts 7 examples, 6 arrived"), s.toString());

        // a record that is not an example goes to the dead-letter topic with its reason
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.FINETUNE_EXAMPLES, "x", "{not json".getBytes(StandardCharsets.UTF_8));
        var dead = TestKafka.await(KafkaBrokerResource.bootstrapServers(), Topics.FINETUNE_EXAMPLES_DLQ, 1, Duration.ofSeconds(30), r -> "x".equals(r.key()));
        assertTrue(TestKafka.header(dead.getFirst().headers(), "dead-letter-reason").contains("not JSON"));

        given().contentType("application/json").body(job("bad task", "classification", "short", Map.of()))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("'id' must be"));
        given().contentType("application/json").body(job("t1", "summarize", "short", Map.of()))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("task must be"));
        given().contentType("application/json").body(job("t2", "classification", "short", Map.of("base", "../../etc")))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("under llm.trainer.checkpoint-dir"));
        given().contentType("application/json").body(job("t3", "classification", "short", Map.of("base", "nowhere/step-1")))
                .post("/v1/finetune-jobs").then().statusCode(404);
        given().contentType("application/json").body(job("t5", "classification", "short", Map.of("judgeUrl", "http://judge/v1", "judgeModel", "j")))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("for instruction jobs"));
        // the judge gets the key and the test split: only hosts the operator listed (the test profile: 127.0.0.1)
        for (String url : List.of("http://169.254.169.254/latest/v1", "http://localhost:8084/v1", "http://10.0.0.1/v1",
                "http://user:secret@127.0.0.1:9/v1", "file:///etc/passwd")) {
            given().contentType("application/json").body(job("tj", "instruction", "short", Map.of("judgeUrl", url, "judgeModel", "j")))
                    .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("judgeUrl"));
        }
        given().contentType("application/json").body(job("t6", "instruction", "short", Map.of("adaptEpochs", 1)))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("adaptEpochs is for classification"));
        given().contentType("application/json").body(job("t7", "classification", "short", Map.of("adaptEpochs", -1)))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("adaptEpochs must be"));
        given().contentType("application/json").body(job("t8", "classification", "short", Map.of("adaptEpochs", 1, "adaptLearningRate", 2.0)))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("adaptLearningRate must be"));
        given().contentType("application/json").body(job("t9", "classification", "short", Map.of("adaptLeftOut", true)))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("adaptLeftOut needs adaptEpochs"));
        given().contentType("application/json").body(job("t4", "instruction", "short", Map.of("mode", "last_block")))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("mode for instruction"));
        given().contentType("application/json").body(job("t10", "instruction", "short", Map.of("mode", "lora")))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("lora is for Llama 3 / Qwen3 bases"));
        given().contentType("application/json").body(job("counted", "classification", "short", Map.of()))
                .post("/v1/finetune-jobs").then().statusCode(409);
        given().get("/v1/finetune-jobs/none").then().statusCode(404);
        given().get("/v1/finetune-datasets/none").then().statusCode(404);
    }
}
