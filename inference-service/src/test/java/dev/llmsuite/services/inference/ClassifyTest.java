package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.engine.model.ClassifierHead;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** POST /v1/classify on a checkpoint with a classification head beside it. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class ClassifyTest {
    static final List<String> LABELS = List.of("ham", "spam");

    /** A checkpoint with classifier.safetensors, re-hashed and announced. */
    private static CheckpointAnnouncement withHead(String model) throws Exception {
        CheckpointAnnouncement a = TestCheckpoints.write(model, 1, 17, false);
        Path dir = Path.of(a.path());
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, TestCheckpoints.CFG);
            m.initialize(17);
            ClassifierHead head = new ClassifierHead(m, 2);
            head.initialize(18);
            ClassifierFiles.save(head, LABELS, m, dir);
        }
        Map<String, String> hashes = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) hashes.put(f.getFileName().toString(), CheckpointAnnouncement.sha256(Files.readAllBytes(f)));
        }
        return new CheckpointAnnouncement("job", model, 1, dir.toString(), hashes, Map.of(), System.currentTimeMillis());
    }

    @Test
    void textsGetTheLabelAndProbabilitiesTheEngineGives() throws Exception {
        TestCheckpoints.announce(withHead("spamclf"));
        TestCheckpoints.announce(TestCheckpoints.write("nohead", 1, 3, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            given().get("/v1/models/spamclf").then().statusCode(200);
            given().get("/v1/models/nohead").then().statusCode(200);
        });
        List<String> texts = List.of("WINNER! Claim your free prize now", "see you at lunch tomorrow?");
        String body = given().contentType("application/json").body(Map.of("model", "spamclf", "input", texts))
                .post("/v1/classify").then().statusCode(200).body("data.size()", equalTo(2)).extract().asString();
        JsonNode r = new ObjectMapper().readTree(body);

        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, TestCheckpoints.CFG);
            m.initialize(17);
            ClassifierHead head = new ClassifierHead(m, 2);
            head.initialize(18);
            for (int i = 0; i < texts.size(); i++) {
                int[] ids = gpt2.encodeOrdinary(texts.get(i));
                head.forward(ids, 1, ids.length, null, null, false, 0);
                double[] p = head.probabilities()[0];
                JsonNode d = r.get("data").get(i);
                assertEquals(p[0], d.get("probabilities").get("ham").asDouble(), 1e-5, "text " + i);
                assertEquals(p[1], d.get("probabilities").get("spam").asDouble(), 1e-5, "text " + i);
                assertEquals(p[1] > p[0] ? "spam" : "ham", d.get("label").asText());
            }
        }
        given().contentType("application/json").body(Map.of("model", "spamclf", "input", "one text"))
                .post("/v1/classify").then().statusCode(200).body("data[0].index", equalTo(0)).body("data[0].truncated", equalTo(false));
        given().contentType("application/json").body(Map.of("model", "nohead", "input", "x"))
                .post("/v1/classify").then().statusCode(422).contentType("application/problem+json")
                .body("detail", containsString("has no classification head"));
        given().contentType("application/json").body(Map.of("model", "spamclf", "input", List.of()))
                .post("/v1/classify").then().statusCode(400).body("detail", containsString("'input'"));
        given().contentType("application/json").body(Map.of("model", "none", "input", "x"))
                .post("/v1/classify").then().statusCode(404);
        // a text longer than the context (64) is cut to its beginning, and says so
        given().contentType("application/json").body(Map.of("model", "spamclf", "input", "word ".repeat(100)))
                .post("/v1/classify").then().statusCode(200).body("data[0].truncated", equalTo(true))
                .body("usage.prompt_tokens", equalTo(64));
    }
}
