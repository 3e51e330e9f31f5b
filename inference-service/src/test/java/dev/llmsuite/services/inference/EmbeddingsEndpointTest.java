package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Embeddings;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** POST /v1/embeddings in OpenAI's shapes: the engine's vectors, as floats or base64, and every malformed request a 400. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class EmbeddingsEndpointTest {

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.get(i);
        return out;
    }

    @Test
    void theEnginesVectorsAsFloatsOrBase64() throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write("emb", 1, 13, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/emb").then().statusCode(200));
        String text = "Every effort moves you";
        List<List<Float>> data = given().contentType("application/json").body(Map.of("model", "emb", "input", List.of(text, "another text")))
                .post("/v1/embeddings").then().statusCode(200)
                .body("object", equalTo("list")).body("data[1].index", equalTo(1)).body("data[0].object", equalTo("embedding"))
                .body("usage.prompt_tokens", equalTo(6)).extract().path("data.embedding");
        float[] served = floats(data.get(0));
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, TestCheckpoints.CFG);
            m.initialize(13);
            assertArrayEquals(Embeddings.of(m, gpt2.encode(text), TestCheckpoints.CFG.embeddingDim()), served, 1e-6f, "the engine's vector");
        }
        String encoded = given().contentType("application/json").body(Map.of("model", "emb", "input", text, "encoding_format", "base64"))
                .post("/v1/embeddings").then().statusCode(200).extract().path("data[0].embedding");
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded)).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[bytes.remaining() / Float.BYTES];
        for (int i = 0; i < decoded.length; i++) decoded[i] = bytes.getFloat();
        assertArrayEquals(served, decoded, "base64: the same floats, little-endian");
        List<Integer> textIds = Arrays.stream(gpt2.encode(text)).boxed().toList();
        List<Float> ids = given().contentType("application/json").body(Map.of("model", "emb", "input", List.of(textIds)))
                .post("/v1/embeddings").then().statusCode(200).extract().path("data[0].embedding");
        assertArrayEquals(served, floats(ids), 1e-6f, "token ids of the same text, the same vector");
        List<Float> cut = given().contentType("application/json").body(Map.of("model", "emb", "input", text, "dimensions", 8))
                .post("/v1/embeddings").then().statusCode(200).extract().path("data[0].embedding");
        double length = 0;
        for (float v : cut) length += v * v;
        assertEquals(8, cut.size());
        assertEquals(1.0, length, 1e-5);
    }

    @Test
    void malformedRequestsAreProblems() throws Exception {
        TestCheckpoints.announce(TestCheckpoints.write("emb2", 1, 14, false));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/v1/models/emb2").then().statusCode(200));
        Map<Object, String> bad = Map.of(
                List.of(), "'input' must be",
                List.of(1.5), "'input' must be",
                List.of(1, 2.5), "not in the vocabulary",
                List.of(List.of(50257)), "not in the vocabulary",
                List.of(List.of(-1)), "not in the vocabulary",
                List.of(Map.of("x", 1)), "'input' must be",
                List.of(""), "input 0 is empty",
                "word ".repeat(100), "the model's context is");
        bad.forEach((input, problem) -> given().contentType("application/json").body(Map.of("model", "emb2", "input", input))
                .post("/v1/embeddings").then().statusCode(400).contentType("application/problem+json").body("detail", containsString(problem)));
        given().contentType("application/json").body(Map.of("model", "emb2", "input", "x", "encoding_format", "hex"))
                .post("/v1/embeddings").then().statusCode(400).body("detail", containsString("encoding_format"));
        for (int d : new int[] {0, -3, TestCheckpoints.CFG.embeddingDim() + 1}) {
            given().contentType("application/json").body(Map.of("model", "emb2", "input", "x", "dimensions", d))
                    .post("/v1/embeddings").then().statusCode(400).body("detail", containsString("'dimensions' must be"));
        }
        given().contentType("application/json").body(Map.of("model", "nope", "input", "x")).post("/v1/embeddings").then().statusCode(404);
        given().contentType("application/json").body(Map.of("input", "x")).post("/v1/embeddings").then().statusCode(400);
    }
}
