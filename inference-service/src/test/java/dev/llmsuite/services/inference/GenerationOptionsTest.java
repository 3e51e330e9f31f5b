package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** n choices, logprobs, and a client that leaves before its answer. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class GenerationOptionsTest {
    private static final String PROMPT = "Every effort moves you";
    private final ObjectMapper json = new ObjectMapper();

    private static void serve(String model, GptConfig config, long seed) throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write(config, model, 1, seed, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/" + model).then().statusCode(200));
    }

    private static JsonNode post(String path, Map<String, Object> body) throws Exception {
        String s = given().contentType("application/json").body(body).post(path).then().statusCode(200).extract().asString();
        return new ObjectMapper().readTree(s);
    }

    @Test
    void nChoicesAreTheSameRequestWithSeedsSeedPlusI() throws Exception {
        serve("choices", TestCheckpoints.CFG, 31);
        JsonNode three = post("/v1/completions", Map.of("model", "choices", "prompt", PROMPT, "max_tokens", 6, "temperature", 1.5,
                "seed", 100, "n", 3));
        assertEquals(3, three.get("choices").size());
        int tokens = 0;
        for (int i = 0; i < 3; i++) {
            JsonNode c = three.get("choices").get(i);
            assertEquals(i, c.get("index").asInt());
            JsonNode one = post("/v1/completions", Map.of("model", "choices", "prompt", PROMPT, "max_tokens", 6, "temperature", 1.5,
                    "seed", 100 + i));
            assertEquals(one.get("choices").get(0).get("text").asText(), c.get("text").asText(), "choice " + i);
            tokens += one.get("usage").get("completion_tokens").asInt();
        }
        assertEquals(tokens, three.get("usage").get("completion_tokens").asInt(), "usage counts every choice's tokens");
        assertEquals(4, three.get("usage").get("prompt_tokens").asInt(), "the prompt counts once");

        // streamed: each chunk names its choice; per index the pieces add up to the whole text
        String sse = given().contentType("application/json").body(Map.of("model", "choices", "prompt", PROMPT, "max_tokens", 6,
                "temperature", 1.5, "seed", 100, "n", 3, "stream", true)).post("/v1/completions").then().statusCode(200).extract().asString();
        StringBuilder[] streamed = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
        int finishes = 0;
        for (String frame : sse.split("\n\n")) {
            if (frame.equals("data: [DONE]")) continue;
            JsonNode c = json.readTree(frame.substring("data: ".length())).get("choices").get(0);
            streamed[c.get("index").asInt()].append(c.get("text").asText());
            if (!c.get("finish_reason").isNull()) finishes++;
        }
        assertEquals(3, finishes, "one finish per choice");
        for (int i = 0; i < 3; i++) assertEquals(three.get("choices").get(i).get("text").asText(), streamed[i].toString());

        given().contentType("application/json").body(Map.of("model", "choices", "prompt", PROMPT, "n", 9))
                .post("/v1/completions").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("'n' must be in [1, 8], got 9"));
    }

    @Test
    void logprobsAreTheModelsLogSoftmax() throws Exception {
        serve("logprobs", TestCheckpoints.CFG, 41);
        JsonNode r = post("/v1/completions", Map.of("model", "logprobs", "prompt", PROMPT, "max_tokens", 4, "temperature", 0,
                "logprobs", 3));
        JsonNode lp = r.get("choices").get(0).get("logprobs");
        assertEquals(4, lp.get("tokens").size());
        // the first token's logprob from the engine: log-softmax of the prompt's last logits
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        float[] logits;
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, TestCheckpoints.CFG);
            m.initialize(41);
            int[] prompt = gpt2.encode(PROMPT);
            logits = Decoder.fp32(m).prefill(prompt, new KvCache(be, TestCheckpoints.CFG, prompt.length + 1));
        }
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) max = Math.max(max, l);
        for (float l : logits) sum += Math.exp(l - max);
        int argmax = TokenSampler.argmax(logits);
        double expected = logits[argmax] - max - Math.log(sum);
        assertEquals(expected, lp.get("token_logprobs").get(0).asDouble(), 1e-4, "greedy's first token logprob");
        assertEquals(gpt2.decode(new int[] {argmax}), lp.get("tokens").get(0).asText());
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            JsonNode top = lp.get("top_logprobs").get(i);
            assertEquals(3, top.size(), "three alternatives");
            double best = top.elements().next().asDouble();
            assertEquals(best, lp.get("token_logprobs").get(i).asDouble(), 1e-9, "greedy takes the most likely token");
            assertEquals(joined.length(), lp.get("text_offset").get(i).asInt());
            joined.append(lp.get("tokens").get(i).asText());
        }
        assertEquals(r.get("choices").get(0).get("text").asText(), joined.toString(), "the tokens spell the text");

        // chat: one entry per token, with its bytes and the asked number of alternatives
        JsonNode chat = post("/v1/chat/completions", Map.of("model", "logprobs", "max_tokens", 3, "temperature", 0,
                "messages", List.of(Map.of("role", "user", "content", "Say hi.")), "logprobs", true, "top_logprobs", 2));
        JsonNode content = chat.get("choices").get(0).get("logprobs").get("content");
        assertEquals(3, content.size());
        for (JsonNode t : content) {
            assertEquals(2, t.get("top_logprobs").size());
            byte[] bytes = new byte[t.get("bytes").size()];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) t.get("bytes").get(i).asInt();
            assertArrayEquals(t.get("token").asText().getBytes(StandardCharsets.UTF_8), bytes);
            assertTrue(t.get("logprob").asDouble() <= 0);
        }
        // no alternatives asked (logprobs: 0; chat's logprobs without top_logprobs): each token's own logprob, nothing
        // more, and the whole answer (it once ended after one token: "length", with nothing in it)
        JsonNode bare = post("/v1/completions", Map.of("model", "logprobs", "prompt", PROMPT, "max_tokens", 4, "temperature", 0, "logprobs", 0));
        assertEquals(4, bare.get("usage").get("completion_tokens").asInt());
        assertEquals(r.get("choices").get(0).get("text").asText(), bare.get("choices").get(0).get("text").asText());
        JsonNode bareLp = bare.get("choices").get(0).get("logprobs");
        for (int i = 0; i < 4; i++) {
            assertEquals(lp.get("token_logprobs").get(i).asDouble(), bareLp.get("token_logprobs").get(i).asDouble());
            assertEquals(0, bareLp.get("top_logprobs").get(i).size());
        }
        JsonNode bareChat = post("/v1/chat/completions", Map.of("model", "logprobs", "max_tokens", 3, "temperature", 0,
                "messages", List.of(Map.of("role", "user", "content", "Say hi.")), "logprobs", true));
        assertEquals(3, bareChat.get("choices").get(0).get("logprobs").get("content").size());
        for (JsonNode t : bareChat.get("choices").get(0).get("logprobs").get("content")) assertEquals(0, t.get("top_logprobs").size());
        given().contentType("application/json").body(Map.of("model", "logprobs", "top_logprobs", 2,
                "messages", List.of(Map.of("role", "user", "content", "x")))).post("/v1/chat/completions").then()
                .statusCode(400).body("detail", containsString("'top_logprobs' needs 'logprobs': true"));
        given().contentType("application/json").body(Map.of("model", "logprobs", "prompt", "x", "logprobs", 21))
                .post("/v1/completions").then().statusCode(400).body("detail", containsString("in [0, 20], got 21"));
    }

    @Test
    void aClientThatLeavesBeforeItsAnswerStopsItsGeneration() throws Exception {
        // wide enough and long enough that 1,000 tokens take seconds
        GptConfig slow = new GptConfig(50257, 1024, 256, 4, 2, 0.0, false, true);
        serve("slow", slow, 51);
        double cancelledBefore = metric("llm_inference_requests_cancelled_total");
        double tokensBefore = metric("llm_inference_tokens_generated_total");
        String body = "{\"model\":\"slow\",\"prompt\":\"Hello\",\"max_tokens\":1000,\"temperature\":0}";
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> metric("llm_inference_active_sequences") == 1.0);
        } // the client leaves with its answer unsent
        await().atMost(Duration.ofSeconds(30)).until(() -> metric("llm_inference_requests_cancelled_total") == cancelledBefore + 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> metric("llm_inference_active_sequences") == 0.0);
        double made = metric("llm_inference_tokens_generated_total") - tokensBefore;
        assertTrue(made < 1000, "stopped early: " + made + " of 1000 tokens made");
    }

    private static double metric(String name) {
        String metrics = given().get("/q/metrics").then().extract().asString();
        return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
