package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Requests that share a long beginning: the second restores the shared blocks (the metrics say how many tokens)
 * and answers with exactly the tokens and log-probabilities the engine gives without any cache.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class PrefixCacheServingTest {
    private static final GptConfig CFG = new GptConfig(50257, 256, 16, 2, 1, 0.0, false, true);
    private static final String SYSTEM = "You are a careful assistant. Answer in one short sentence, and never invent facts. ".repeat(8);
    private final ObjectMapper json = new ObjectMapper();

    private JsonNode complete(String prompt) throws Exception {
        String body = given().contentType("application/json").body(Map.of("model", "prefixes", "prompt", prompt, "max_tokens", 8,
                "temperature", 0, "logprobs", 1)).post("/v1/completions").then().statusCode(200).extract().asString();
        return json.readTree(body);
    }

    private static double promptTokens(String prefill) {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("llm_inference_prompt_tokens_total\\{[^}]*prefill=\"" + prefill + "\"[^}]*} ([0-9.E+]+)").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void aSharedBeginningIsRestoredAndTheAnswerIsUnchanged() throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write(CFG, "prefixes", 1, 57, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/prefixes").then().statusCode(200));
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        String first = SYSTEM + "Question: what is a token?", second = SYSTEM + "Question: why do models need context?";
        assertTrue(gpt2.encode(SYSTEM).length >= 130, "the shared part spans two whole blocks");

        complete(first);
        double restoredBefore = promptTokens("restored"), computedBefore = promptTokens("computed");
        JsonNode answer = complete(second);
        double restored = promptTokens("restored") - restoredBefore, computed = promptTokens("computed") - computedBefore;
        int promptLength = gpt2.encode(second).length;
        assertEquals(128, restored, "two whole blocks of the shared beginning restored");
        assertEquals(promptLength - 128, computed, "the rest computed");

        // the engine without a prefix cache: the same greedy tokens and log-probabilities
        int[] prompt = gpt2.encode(second);
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, CFG);
            m.initialize(57);
            try (Decoder plain = Decoder.fp32(m); KvCache cache = new KvCache(be, CFG, prompt.length + 8)) {
                float[] logits = plain.prefill(prompt, cache);
                JsonNode lp = answer.get("choices").get(0).get("logprobs");
                for (int i = 0; i < 8; i++) {
                    int token = TokenSampler.argmax(logits);
                    assertEquals(gpt2.decode(new int[] {token}), lp.get("tokens").get(i).asText(), "token " + i);
                    assertEquals(logSoftmax(logits, token), lp.get("token_logprobs").get(i).asDouble(), 1e-6, "logprob " + i);
                    if (i < 7) logits = plain.decode(token, cache);
                }
            }
        }
        // and the same request again, now restored as far as it can be: the very same answer
        JsonNode again = complete(second);
        assertEquals(answer.get("choices").get(0).get("logprobs").toString(), again.get("choices").get(0).get("logprobs").toString());
    }

    private static double logSoftmax(float[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) max = Math.max(max, l);
        for (float l : logits) sum += Math.exp(l - max);
        return logits[token] - max - Math.log(sum);
    }
}
