package dev.llmsuite.services.trainer;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.Json;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import dev.llmsuite.tokenizer.ByteLevel;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An instruction job on a Llama 3-shaped base (random weights, a byte-level tokenizer.json with an end token): the same
 * POST /v1/finetune-jobs and finetune.examples as GPT-2's, trained through LoRA adapters (the default mode for such a
 * base), published as the merged model with the base's tokenizer files and PEFT's adapter files apart; and whole
 * (mode all), published without adapters.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class LlamaFinetuneJobTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int END = 256;

    @BeforeAll
    static void llamaBase() throws Exception {
        Path dir = ConfigProvider.getConfig().getValue("llm.trainer.checkpoint-dir", Path.class).toAbsolutePath().resolve("llama-base/step-1");
        if (Files.exists(dir)) return;
        LlamaConfig c = new LlamaConfig(LlamaConfig.Architecture.LLAMA, 260, 32, 64, 1, 4, 2, 8, 128, 1e-5f, 10000, null, false, true);
        try (CpuBackend be = new CpuBackend(1); LlamaModel m = LlamaModel.initialized(be, c, 3)) {
            LlamaCheckpoint.save(m, dir);
        }
        Map<String, Object> config = new LinkedHashMap<>((Map<String, Object>) Json.parse(Files.readString(dir.resolve("config.json"))));
        config.put("eos_token_id", (long) END);
        Files.writeString(dir.resolve("config.json"), Json.write(config));
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(ByteLevel.toString(new byte[] {(byte) b}), (long) b);
        Files.writeString(dir.resolve("tokenizer.json"), Json.write(Map.of(
                "model", Map.of("type", "BPE", "vocab", vocab, "merges", List.of()),
                "pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true),
                "added_tokens", List.of(Map.of("id", (long) END, "content", "<|end|>", "special", true)))));
    }

    private static void send(Map<String, Object> record) throws Exception {
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.FINETUNE_EXAMPLES, "llama-words", JSON.writeValueAsBytes(record));
    }

    private static Map<String, Object> job(String id, String task, Map<String, Object> more) {
        Map<String, Object> spec = new HashMap<>(Map.of("id", id, "task", task, "base", "llama-base/step-1", "dataset", "llama-words"));
        spec.putAll(more);
        return spec;
    }

    @Test
    void anInstructionJobTrainsLoraAdaptersOnALlamaBase() throws Exception {
        for (int i = 0; i < 20; i++) send(Map.of("dataset", "llama-words", "instruction", "Repeat.", "input", "ab" + (i % 2), "output", "ab" + (i % 2)));
        send(Map.of("dataset", "llama-words", "end", true, "count", 20));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                given().get("/v1/finetune-datasets/llama-words").then().statusCode(200).body("state", equalTo("ready")));

        given().contentType("application/json").body(job("llama-c", "classification", Map.of()))
                .post("/v1/finetune-jobs").then().statusCode(400).body("detail", containsString("classification jobs take GPT-2 bases"));

        given().contentType("application/json").body(job("llama-words", "instruction", Map.of("epochs", 3, "learningRate", 1e-2,
                "batchSize", 4, "maxNewTokens", 4, "loraRank", 4, "loraAlpha", 8.0, "maxLength", 96)))
                .post("/v1/finetune-jobs").then().statusCode(201).body("spec.mode", equalTo("lora"));
        await().atMost(Duration.ofSeconds(180)).until(() -> {
            String state = given().get("/v1/finetune-jobs/llama-words").then().statusCode(200).extract().path("state");
            return state.equals("completed") || state.equals("failed");
        });
        JsonNode s = JSON.readTree(given().get("/v1/finetune-jobs/llama-words").then().extract().asString());
        assertEquals("completed", s.get("state").asText(), s.toString());
        assertTrue(s.at("/result/lastTrainLoss").asDouble() < s.at("/result/firstLoss").asDouble(), s.get("result").toString());
        Path checkpoint = Path.of(s.get("checkpoint").asText());
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json", "test-responses.jsonl", "trainer.json")) {
            assertTrue(Files.isRegularFile(checkpoint.resolve(file)), "missing " + file);
        }
        Path adapter = Path.of(s.get("adapter").asText());
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")) && Files.isRegularFile(adapter.resolve("adapter_config.json")),
                "PEFT's files in " + adapter);
        assertTrue(LlamaCheckpoint.isOne(checkpoint));
        assertEquals(2, Files.readAllLines(checkpoint.resolve("test-responses.jsonl")).size());
        // the merged weights differ from the base's: the adapters trained
        try (CpuBackend be = new CpuBackend(1);
             LlamaModel tuned = LlamaCheckpoint.load(be, checkpoint);
             LlamaModel base = LlamaCheckpoint.load(be, checkpoint.getParent().getParent().resolve("llama-base/step-1"))) {
            float[] a = tuned.forward(new int[] {97, 98, 48}), b = base.forward(new int[] {97, 98, 48});
            double diff = 0;
            for (int i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
            assertTrue(diff > 1e-3, "logits moved by " + diff);
        }

        // every weight (mode all): the fine-tuned model alone, no adapter
        given().contentType("application/json").body(job("llama-all", "instruction", Map.of("mode", "all", "epochs", 1, "learningRate", 1e-3,
                "batchSize", 4, "maxNewTokens", 2, "maxLength", 96))).post("/v1/finetune-jobs").then().statusCode(201);
        await().atMost(Duration.ofSeconds(180)).until(() -> {
            String state = given().get("/v1/finetune-jobs/llama-all").then().statusCode(200).extract().path("state");
            return state.equals("completed") || state.equals("failed");
        });
        JsonNode all = JSON.readTree(given().get("/v1/finetune-jobs/llama-all").then().extract().asString());
        assertEquals("completed", all.get("state").asText(), all.toString());
        assertTrue(all.get("adapter").isNull(), all.toString());
        assertTrue(LlamaCheckpoint.isOne(Path.of(all.get("checkpoint").asText())));
    }
}
