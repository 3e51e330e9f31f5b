package dev.llmsuite.services.inference;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What ./llm serve runs: one Hugging Face GPT-2 directory served from startup, with no Kafka at all,
 * here with 8-bit weights (./llm serve --weights int8).
 */
@QuarkusTest
@TestProfile(ServeDirectoryTest.ServeProfile.class)
class ServeDirectoryTest {

    public static class ServeProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path dir = Files.createTempDirectory("hf-gpt2-");
                try (CpuBackend be = new CpuBackend(1)) {
                    GptModel m = new GptModel(be, InferenceServiceTest.CFG);
                    m.initialize(3);
                    HfCheckpoint.save(m, dir); // no trainer.json: a Hugging Face download looks like this
                }
                // as ServeCommand starts it: no broker anywhere, and readiness does not wait for one
                return Map.of("llm.inference.model-dir", dir.toString(), "llm.inference.model-name", "gpt2-local",
                        "llm.inference.weights", "int8", "kafka.bootstrap.servers", "127.0.0.1:1",
                        "mp.messaging.incoming.checkpoints.enabled", "false", "llm.kafka.check-on-start", "false",
                        "quarkus.smallrye-health.check.\"io.quarkus.kafka.client.health.KafkaHealthCheck\".enabled", "false");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void standaloneItIsReadyAtOnceAndShowsNoHostPath() {
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/v1/models/gpt2-local").then().statusCode(200)
                .body("checkpoint", Matchers.startsWith("hf-gpt2-"));
    }

    @Test
    void theDirectoryIsServedWithGpt2sTokenizerAndEightBitWeights() {
        given().get("/v1/models").then().statusCode(200).body("data[0].id", equalTo("gpt2-local"))
                .body("data[0].weights", equalTo("int8"));
        String text = given().contentType("application/json")
                .body(Map.of("model", "gpt2-local", "prompt", "Hello", "max_tokens", 3, "temperature", 0))
                .post("/v1/completions").then().statusCode(200)
                .body("usage.prompt_tokens", equalTo(1)).body("usage.completion_tokens", equalTo(3))
                .extract().path("choices[0].text");
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, InferenceServiceTest.CFG);
            m.initialize(3);
            int[] ids = new Generator(Decoder.int8(m)).generate(gpt2.encode("Hello"), new SamplingParams(3, 0, 0, 1, 0, Set.of(50256)), null);
            assertEquals(gpt2.decode(ids), text, "the service's greedy output is the 8-bit engine's");
        }
    }
}
