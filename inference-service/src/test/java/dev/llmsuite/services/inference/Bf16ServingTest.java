package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** llm.inference.weights=bf16: the model card says so, and greedy answers are the engine's bfloat16 decode, token for token. */
@QuarkusTest
@TestProfile(Bf16ServingTest.Bf16.class)
@WithTestResource(KafkaBrokerResource.class)
class Bf16ServingTest {
    public static class Bf16 implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.inference.weights", "bf16", "llm.inference.checkpoint-dir", "target/test-checkpoints-bf16-" + UUID.randomUUID());
        }
    }

    @Test
    void decodeStepsReadBfloat16Weights() throws Exception {
        greedyAnswersAreTheEnginesDecode("half", ServingWeights.BF16);
    }

    /** Serves a test checkpoint; its model card names the weights, and a greedy answer is the engine's decode on them. */
    static void greedyAnswersAreTheEnginesDecode(String name, ServingWeights weights) throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write(name, 1, 23, false));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/" + name).statusCode() == 200);
        JsonNode card = new ObjectMapper().readTree(given().get("/v1/models/" + name).then().statusCode(200).extract().asString());
        assertEquals(weights.label(), card.get("weights").asText());
        String prompt = "Every effort moves you";
        JsonNode answer = new ObjectMapper().readTree(given().contentType("application/json")
                .body(Map.of("model", name, "prompt", prompt, "max_tokens", 6, "temperature", 0))
                .post("/v1/completions").then().statusCode(200).extract().asString());
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        int[] ids = gpt2.encode(prompt), out = new int[6];
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, TestCheckpoints.CFG);
            m.initialize(23);
            try (Decoder served = Decoder.of(m, weights); KvCache cache = new KvCache(be, TestCheckpoints.CFG, ids.length + 6)) {
                float[] logits = served.prefill(ids, cache);
                for (int i = 0; i < 6; i++) {
                    out[i] = TokenSampler.argmax(logits);
                    if (i < 5) logits = served.decode(out[i], cache);
                }
            }
        }
        assertEquals(gpt2.decode(out), answer.get("choices").get(0).get("text").asText());
    }
}
