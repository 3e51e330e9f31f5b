package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import dev.llmsuite.testing.JsonSchemas;
import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * response_format on a model with random weights, which free decoding almost never makes write JSON: every choice of
 * every request parses and validates against its schema, sampled or greedy, and what cannot be enforced is refused.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class StructuredOutputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> SCHEMAS = List.of(
            """
            {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
             "email": {"type": ["string", "null"]}, "tags": {"type": "array", "items": {"enum": ["red", "green", 3]}},
             "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "number"}}, "required": ["city"]}},
             "required": ["name", "age", "address"], "additionalProperties": false}""",
            """
            {"type": "object", "properties": {"ok": {"type": "boolean"}, "score": {"type": "number"},
             "kind": {"const": "answer"}, "items": {"type": "array", "items": {"type": "object",
               "properties": {"id": {"type": "integer"}, "note": {"type": "string"}}, "required": ["id", "note"]}}},
             "required": ["ok", "score", "kind", "items"]}""",
            """
            {"type": "array", "items": {"type": ["number", "string", "null"]}}""");

    @BeforeEach
    void model() throws Exception {
        if (given().get("/v1/models/so").statusCode() == 200) return;
        TestCheckpoints.announce(TestCheckpoints.write("so", 1, 99, false));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/so").statusCode() == 200);
    }

    private static Map<String, Object> format(String schema) throws Exception {
        return Map.of("type", "json_schema", "json_schema", Map.of("name", "t", "schema", JSON.readTree(schema), "strict", true));
    }

    @Test
    void everyChoiceParsesAndValidates() throws Exception {
        int checked = 0;
        for (String schemaText : SCHEMAS) {
            Schema schema = JsonSchemas.of(JSON.readTree(schemaText));
            for (double temperature : new double[] {0, 1, 1.5}) {
                JsonNode body = JSON.readTree(given().contentType("application/json")
                        .body(Map.of("model", "so", "prompt", "Describe a person as JSON:", "max_tokens", 48, "temperature", temperature,
                                "n", 4, "seed", 5, "response_format", format(schemaText)))
                        .post("/v1/completions").then().statusCode(200).extract().asString());
                for (JsonNode choice : body.get("choices")) {
                    JsonNode value = JSON.readTree(choice.get("text").asText());
                    assertEquals(List.of(), JsonSchemas.problems(schema, value), choice.get("text").asText());
                    assertEquals("stop", choice.get("finish_reason").asText(), "complete JSON ends the choice");
                    checked++;
                }
            }
        }
        // json_object and chat
        for (int i = 0; i < 3; i++) {
            String content = given().contentType("application/json")
                    .body(Map.of("model", "so", "messages", List.of(Map.of("role", "user", "content", "Answer in JSON")),
                            "max_tokens", 40, "seed", i, "response_format", Map.of("type", "json_object")))
                    .post("/v1/chat/completions").then().statusCode(200).extract().path("choices[0].message.content");
            assertTrue(JSON.readTree(content).isObject(), content);
            checked++;
        }
        // no max_tokens: a constrained answer gets room to be complete (OpenAI's chat has no small default)
        String unbounded = given().contentType("application/json")
                .body(Map.of("model", "so", "messages", List.of(Map.of("role", "user", "content", "JSON please")), "seed", 8,
                        "response_format", format(SCHEMAS.get(0))))
                .post("/v1/chat/completions").then().statusCode(200).extract().path("choices[0].message.content");
        assertEquals(List.of(), JsonSchemas.problems(JsonSchemas.of(JSON.readTree(SCHEMAS.get(0))), JSON.readTree(unbounded)), unbounded);
        checked++;
        // streamed: the pieces join to valid JSON
        String stream = given().contentType("application/json")
                .body(Map.of("model", "so", "prompt", "x", "max_tokens", 30, "stream", true, "seed", 3, "response_format", format(SCHEMAS.get(2))))
                .post("/v1/completions").then().statusCode(200).extract().asString();
        StringBuilder joined = new StringBuilder();
        for (String line : stream.split("\n")) {
            if (line.startsWith("data: {")) joined.append(JSON.readTree(line.substring(6)).get("choices").get(0).get("text").asText());
        }
        assertTrue(JSON.readTree(joined.toString()).isArray(), joined.toString());
        System.out.println("[test] " + (checked + 1) + " constrained completions of a random-weights model: all parse and validate");
    }

    @Test
    void whatCannotBeEnforcedIsRefused() throws Exception {
        String json = "application/json";
        for (String bad : List.of("{\"type\": \"string\", \"pattern\": \"^a\"}", "{\"oneOf\": [{\"type\": \"string\"}]}",
                "{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#\"}}}", "{\"type\": \"banana\"}")) {
            given().contentType(json).body(Map.of("model", "so", "prompt", "x", "response_format", format(bad)))
                    .post("/v1/completions").then().statusCode(400).body("detail", containsString("response_format"));
        }
        given().contentType(json).body(Map.of("model", "so", "prompt", "x", "response_format", Map.of("type", "xml")))
                .post("/v1/completions").then().statusCode(400);
        given().contentType(json).body(Map.of("model", "so", "prompt", "x", "response_format", Map.of("type", "json_schema")))
                .post("/v1/completions").then().statusCode(400);
        given().contentType(json).body(Map.of("model", "so", "prompt", "x", "response_format", "json"))
                .post("/v1/completions").then().statusCode(400);
        given().contentType(json).body(Map.of("model", "so", "prompt", "x", "max_tokens", 5, "response_format", format(SCHEMAS.get(0))))
                .post("/v1/completions").then().statusCode(400).body("detail", containsString("shortest answer"));
        String deep = "{\"type\": \"array\", \"items\": ".repeat(40) + "{}" + "}".repeat(40);
        given().contentType(json).body(Map.of("model", "so", "prompt", "x", "response_format", format(deep)))
                .post("/v1/completions").then().statusCode(400).body("detail", containsString("deeper"));
        String huge = "{\"enum\": [" + "\"" + "x".repeat(70_000) + "\"]}";
        given().contentType(json).body(Map.of("model", "so", "prompt", "x", "response_format", format(huge)))
                .post("/v1/completions").then().statusCode(400).body("detail", containsString("characters"));
        given().contentType(json).body(Map.of("model", "so", "prompt", "x", "response_format", Map.of("type", "text")))
                .post("/v1/completions").then().statusCode(200);
    }
}
