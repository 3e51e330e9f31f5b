package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class InferenceServiceTest {
    static final GptConfig CFG = TestCheckpoints.CFG;
    private final ObjectMapper json = new ObjectMapper();

    private static CheckpointAnnouncement writeCheckpoint(String model, long step, long seed, boolean corrupt) throws Exception {
        return TestCheckpoints.write(model, step, seed, corrupt);
    }

    private static void announce(CheckpointAnnouncement a) throws Exception {
        TestCheckpoints.announce(a);
    }

    @Test
    void anAnnouncedCheckpointIsServedAndCompletesLikeTheEngine() throws Exception {
        announce(writeCheckpoint("m1", 5, 7, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/models/m1").then().statusCode(200).body("step", equalTo(5)).body("tokens_seen", equalTo(42)));
        given().get("/v1/models").then().statusCode(200).body("object", equalTo("list"))
                .body("data.id", Matchers.hasItem("m1"));

        String prompt = "Every effort moves you";
        String text = given().contentType("application/json")
                .body(Map.of("model", "m1", "prompt", prompt, "max_tokens", 8, "temperature", 0))
                .post("/v1/completions").then().statusCode(200)
                .body("object", equalTo("text_completion")).body("usage.prompt_tokens", equalTo(4))
                .extract().path("choices[0].text");
        // the same weights through the engine directly
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, CFG);
            m.initialize(7);
            int[] ids = new Generator(m).generate(gpt2.encode(prompt), new SamplingParams(8, 0, 0, 1, 0, Set.of(50256)), null);
            assertEquals(gpt2.decode(ids), text, "the service's greedy output is the engine's");
        }

        // the same request streamed: OpenAI's SSE framing, the same text in pieces, then [DONE]
        String sse = given().contentType("application/json")
                .body(Map.of("model", "m1", "prompt", prompt, "max_tokens", 8, "temperature", 0, "stream", true))
                .post("/v1/completions").then().statusCode(200).contentType(containsString("text/event-stream"))
                .extract().asString();
        String[] frames = sse.split("\n\n");
        assertEquals("data: [DONE]", frames[frames.length - 1], "ends with [DONE]");
        StringBuilder streamed = new StringBuilder();
        String finish = null;
        for (int i = 0; i < frames.length - 1; i++) {
            Assertions.assertTrue(frames[i].startsWith("data: {"), frames[i]);
            var chunk = json.readTree(frames[i].substring("data: ".length()));
            assertEquals("text_completion", chunk.get("object").asText());
            streamed.append(chunk.get("choices").get(0).get("text").asText());
            if (!chunk.get("choices").get(0).get("finish_reason").isNull()) finish = chunk.get("choices").get(0).get("finish_reason").asText();
        }
        assertEquals(text, streamed.toString(), "the stream carries exactly the completion's text");
        Assertions.assertNotNull(finish, "the last chunk says why it finished");

        // a stop string ends the text before it
        if (text.length() > 3) {
            String stop = text.substring(2, 4);
            given().contentType("application/json")
                    .body(Map.of("model", "m1", "prompt", prompt, "max_tokens", 8, "temperature", 0, "stop", stop))
                    .post("/v1/completions").then().statusCode(200)
                    .body("choices[0].text", equalTo(text.substring(0, text.indexOf(stop))))
                    .body("choices[0].finish_reason", equalTo("stop"));
        }

        // an older step announced late never replaces a newer one
        double before = loadedCount();
        announce(writeCheckpoint("m1", 3, 8, false));
        await().atMost(Duration.ofSeconds(30)).until(() -> loadedCount() > before);
        given().get("/v1/models/m1").then().body("step", equalTo(5));
    }

    private static double loadedCount() {
        String metrics = given().get("/q/metrics").then().extract().asString();
        return metrics.lines().filter(l -> l.startsWith("llm_inference_checkpoints_total{outcome=\"loaded\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void concurrentRequestsDecodedTogetherGiveEachTheirOwnAnswer() throws Exception {
        announce(writeCheckpoint("batch", 1, 5, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/batch").then().statusCode(200));
        String[] prompts = {"One", "Two words", "A somewhat longer prompt here", "Four", "Five five", "Six", "Seven seven seven", "Eight"};
        String[] alone = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
            alone[i] = given().contentType("application/json")
                    .body(Map.of("model", "batch", "prompt", prompts[i], "max_tokens", 10, "temperature", 0))
                    .post("/v1/completions").then().statusCode(200).extract().path("choices[0].text");
        }
        var pool = Executors.newFixedThreadPool(prompts.length);
        try {
            var futures = new ArrayList<Future<String>>();
            for (String p : prompts) {
                futures.add(pool.submit(() -> given().contentType("application/json")
                        .body(Map.of("model", "batch", "prompt", p, "max_tokens", 10, "temperature", 0))
                        .post("/v1/completions").then().statusCode(200).extract().<String>path("choices[0].text")));
            }
            for (int i = 0; i < prompts.length; i++) assertEquals(alone[i], futures.get(i).get(), "request " + i);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void badCompletionRequestsGetProblems() throws Exception {
        announce(writeCheckpoint("m2", 1, 3, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/m2").then().statusCode(200));
        given().contentType("application/json").body(Map.of("model", "nope", "prompt", "x"))
                .post("/v1/completions").then().statusCode(404).contentType("application/problem+json");
        given().contentType("application/json").body(Map.of("model", "m2"))
                .post("/v1/completions").then().statusCode(400).body("detail", containsString("'prompt' is required"));
        given().contentType("application/json").body(Map.of("model", "m2", "prompt", "word" + " word".repeat(69)))
                .post("/v1/completions").then().statusCode(400)
                .body("detail", containsString("prompt is 70 tokens; the model's context is 64 tokens"));
        given().contentType("application/json").body(Map.of("model", "m2", "prompt", "x", "max_tokens", 100000))
                .post("/v1/completions").then().statusCode(400).body("detail", containsString("'max_tokens'"));
        given().contentType("application/json").body(Map.of("model", "m2", "prompt", "x", "top_p", 0))
                .post("/v1/completions").then().statusCode(400).body("detail", containsString("top_p"));
    }

    @Test
    void chatCompletionsRenderTheAlpacaTemplate() throws Exception {
        announce(writeCheckpoint("chat", 1, 11, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/chat").then().statusCode(200));
        var messages = List.of(Map.of("role", "system", "content", "a list"), Map.of("role", "user", "content", "Sort it."));
        String content = given().contentType("application/json")
                .body(Map.of("model", "chat", "messages", messages, "max_tokens", 6, "temperature", 0))
                .post("/v1/chat/completions").then().statusCode(200)
                .body("object", equalTo("chat.completion")).body("choices[0].message.role", equalTo("assistant"))
                .extract().path("choices[0].message.content");
        String prompt = "Below is an instruction that describes a task. Write a response that appropriately completes the request."
                + "\n\n### Instruction:\nSort it.\n\n### Input:\na list\n\n### Response:\n";
        String completion = given().contentType("application/json")
                .body(Map.of("model", "chat", "prompt", prompt, "max_tokens", 6, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).extract().path("choices[0].text");
        assertEquals(completion, content, "chat = completion of the book's template");

        String sse = given().contentType("application/json")
                .body(Map.of("model", "chat", "messages", messages, "max_tokens", 6, "temperature", 0, "stream", true))
                .post("/v1/chat/completions").then().statusCode(200).extract().asString();
        StringBuilder streamed = new StringBuilder();
        String[] frames = sse.split("\n\n");
        assertEquals("data: [DONE]", frames[frames.length - 1]);
        for (int i = 0; i < frames.length - 1; i++) {
            var chunk = json.readTree(frames[i].substring("data: ".length()));
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            var delta = chunk.get("choices").get(0).get("delta");
            if (delta.has("content")) streamed.append(delta.get("content").asText());
        }
        assertEquals(content, streamed.toString());

        given().contentType("application/json").body(Map.of("model", "chat", "messages", List.of()))
                .post("/v1/chat/completions").then().statusCode(400).body("detail", containsString("at least one message"));
        given().contentType("application/json")
                .body(Map.of("model", "chat", "messages", List.of(Map.of("role", "robot", "content", "x"))))
                .post("/v1/chat/completions").then().statusCode(400).body("detail", containsString("unknown role 'robot'"));
        given().contentType("application/json")
                .body(Map.of("model", "chat", "messages", List.of(Map.of("role", "user", "content", "x")), "chat_template_kwargs", Map.of("a", 1)))
                .post("/v1/chat/completions").then().statusCode(400).body("detail", containsString("needs a model with its own chat template"));
    }

    @Test
    void theOfficialOpenAiNpmClientWorksUnchanged() throws Exception {
        Path script = Path.of("src/test/node/openai-client.mjs");
        Assumptions.assumeTrue(Files.isDirectory(Path.of("src/test/node/node_modules/openai")),
                "skipped: the openai npm client is not installed (npm ci --prefix inference-service/src/test/node)");
        // a context long enough for a tool's description in the prompt
        announce(TestCheckpoints.write(new GptConfig(CFG.vocabSize(), 512, CFG.embeddingDim(), CFG.heads(), CFG.layers(), 0.0, false, true),
                "npm", 1, 21, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/npm").then().statusCode(200));
        String base = "http://127.0.0.1:" + io.restassured.RestAssured.port + "/v1";
        Process p = new ProcessBuilder("node", script.toString(), base, "npm").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        var r = json.readTree(out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(() -> new AssertionError(out)));
        String whole = given().contentType("application/json")
                .body(Map.of("model", "npm", "prompt", "Every effort moves you", "max_tokens", 8, "temperature", 0))
                .post("/v1/completions").then().extract().path("choices[0].text");
        assertEquals(whole, r.get("completion").asText());
        assertEquals(whole, r.get("streamed").asText(), "the client's stream parser reads our SSE");
        assertEquals(r.get("chat").asText(), r.get("chatStreamed").asText());
        assertEquals(4, r.get("usage").get("prompt_tokens").asInt());
        assertEquals(404, r.get("error").get("status").asInt());
        JsonNode structured = r.get("structured");
        assertTrue(structured.get("color").isTextual() && structured.get("rgb").isArray(), structured.toString());
        structured.get("rgb").forEach(v -> assertTrue(v.isIntegralNumber(), structured.toString()));
        assertEquals(2, structured.size(), "no other properties: " + structured);
        JsonNode tool = r.get("tool");
        assertEquals("tool_calls", tool.get("finish").asText());
        assertEquals("get_weather", tool.get("name").asText());
        assertTrue(tool.get("arguments").get("city").isTextual(), tool.toString());
        assertEquals(2, r.get("embeddings").size());
        assertEquals(CFG.embeddingDim(), r.get("embeddings").get(0).size());
        for (int i = 0; i < CFG.embeddingDim(); i++) {
            assertEquals(r.get("floatEmbedding").get(i).asDouble(), r.get("embeddings").get(0).get(i).asDouble(), 1e-6,
                    "the client decoded our base64 to the floats we send as floats");
        }
        Assertions.assertTrue(r.get("models").toString().contains("npm"));
    }

    @Test
    void aCheckpointWhoseFilesDoNotMatchTheirHashIsNotServed() throws Exception {
        announce(writeCheckpoint("bad", 1, 1, true));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/q/metrics").then()
                .body(containsString("llm_inference_checkpoints_total{outcome=\"rejected\"}")));
        given().get("/v1/models/bad").then().statusCode(404).contentType("application/problem+json");
    }
}
