package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.testing.JsonSchemas;
import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tool calling in OpenAI's shape, on a model with random weights: a forced call always names a tool and fits its parameters. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class ToolCallsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String WEATHER = """
            {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
             "required": ["city", "unit"], "additionalProperties": false}""";
    static final String TIME = """
            {"type": "object", "properties": {"zone": {"type": "string"}, "precise": {"type": "boolean"}}, "required": ["zone"]}""";

    @BeforeEach
    void model() throws Exception {
        if (given().get("/v1/models/tc").statusCode() == 200) return;
        // a context long enough for the tools' descriptions in the prompt
        TestCheckpoints.announce(TestCheckpoints.write(new GptConfig(50257, 512, 16, 2, 1, 0.0, false, true), "tc", 1, 77, false));
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/v1/models/tc").statusCode() == 200);
    }

    static List<Map<String, Object>> tools() throws Exception {
        return List.of(
                Map.of("type", "function", "function", Map.of("name", "get_weather", "description", "Weather in a city",
                        "parameters", JSON.readTree(WEATHER))),
                Map.of("type", "function", "function", Map.of("name", "get_time", "parameters", JSON.readTree(TIME))));
    }

    private static Map<String, Object> request(Object toolChoice, Object... more) throws Exception {
        Map<String, Object> body = new HashMap<>(Map.of("model", "tc", "messages", List.of(Map.of("role", "user", "content", "Weather in Oslo?")),
                "max_tokens", 48, "tools", tools(), "tool_choice", toolChoice));
        for (int i = 0; i < more.length; i += 2) body.put((String) more[i], more[i + 1]);
        return body;
    }

    @Test
    void aForcedCallNamesAToolAndItsArgumentsValidate() throws Exception {
        Map<String, JsonNode> schemas = Map.of("get_weather", JSON.readTree(WEATHER), "get_time", JSON.readTree(TIME));
        int calls = 0;
        for (double temperature : new double[] {0, 1}) {
            JsonNode body = JSON.readTree(given().contentType("application/json").body(request("required", "n", 4, "temperature", temperature, "seed", 2))
                    .post("/v1/chat/completions").then().statusCode(200).extract().asString());
            for (JsonNode choice : body.get("choices")) {
                assertEquals("tool_calls", choice.get("finish_reason").asText(), choice.toString());
                assertTrue(choice.get("message").get("content").isNull());
                JsonNode call = choice.get("message").get("tool_calls").get(0);
                assertEquals("function", call.get("type").asText());
                assertTrue(call.get("id").asText().startsWith("call_"));
                String name = call.get("function").get("name").asText();
                JsonNode arguments = JSON.readTree(call.get("function").get("arguments").asText());
                assertEquals(List.of(), JsonSchemas.problems(JsonSchemas.of(schemas.get(name)), arguments), arguments.toString());
                calls++;
            }
        }
        // a named function is always that one
        String named = given().contentType("application/json")
                .body(request(Map.of("type", "function", "function", Map.of("name", "get_time")), "temperature", 1, "seed", 9))
                .post("/v1/chat/completions").then().statusCode(200).extract().path("choices[0].message.tool_calls[0].function.name");
        assertEquals("get_time", named);
        // streamed: the call arrives whole in one delta, then the finish reason
        String stream = given().contentType("application/json").body(request("required", "stream", true, "seed", 1))
                .post("/v1/chat/completions").then().statusCode(200).extract().asString();
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : stream.split("\n")) if (line.startsWith("data: {")) chunks.add(JSON.readTree(line.substring(6)));
        assertEquals("tool_calls", chunks.getLast().get("choices").get(0).get("finish_reason").asText());
        JsonNode streamedCall = chunks.get(1).get("choices").get(0).get("delta").get("tool_calls").get(0);
        assertEquals(0, streamedCall.get("index").asInt());
        JSON.readTree(streamedCall.get("function").get("arguments").asText());
        assertTrue(stream.strip().endsWith("data: [DONE]"));
        // the conversation goes on with the call's result
        given().contentType("application/json").body(Map.of("model", "tc", "max_tokens", 4, "tools", tools(), "messages", List.of(
                        Map.of("role", "user", "content", "Weather in Oslo?"),
                        Map.of("role", "assistant", "tool_calls", List.of(Map.of("id", "call_1", "type", "function",
                                "function", Map.of("name", "get_weather", "arguments", "{\"city\":\"Oslo\",\"unit\":\"celsius\"}")))),
                        Map.of("role", "tool", "tool_call_id", "call_1", "content", "12 degrees, rain"))))
                .post("/v1/chat/completions").then().statusCode(200);
        // auto lets the model answer freely
        given().contentType("application/json").body(request("auto", "max_tokens", 5)).post("/v1/chat/completions").then().statusCode(200);
        System.out.println("[test] " + calls + " forced tool calls of a random-weights model: all name a tool and validate");
    }

    @Test
    void malformedToolsAreRefused() throws Exception {
        String json = "application/json";
        given().contentType(json).body(Map.of("model", "tc", "messages", List.of(Map.of("role", "user", "content", "x")), "tool_choice", "required"))
                .post("/v1/chat/completions").then().statusCode(400).body("detail", containsString("needs 'tools'"));
        given().contentType(json).body(request(Map.of("type", "function", "function", Map.of("name", "rm_rf"))))
                .post("/v1/chat/completions").then().statusCode(400).body("detail", containsString("not among the tools"));
        given().contentType(json).body(request("sometimes")).post("/v1/chat/completions").then().statusCode(400);
        for (Object badTool : List.of(Map.of("type", "retrieval"), Map.of("type", "function", "function", Map.of("name", "a b")),
                Map.of("type", "function", "function", Map.of("name", "x".repeat(65))),
                Map.of("type", "function", "function", Map.of("name", "s", "parameters", Map.of("type", "string"))),
                Map.of("type", "function", "function", Map.of("name", "p", "parameters", Map.of("type", "object",
                        "properties", Map.of("a", Map.of("type", "string", "format", "email"))))))) {
            Map<String, Object> body = request("required");
            body.put("tools", List.of(badTool));
            given().contentType(json).body(body).post("/v1/chat/completions").then().statusCode(400);
        }
        Map<String, Object> twice = request("required");
        twice.put("tools", List.of(tools().getFirst(), tools().getFirst()));
        given().contentType(json).body(twice).post("/v1/chat/completions").then().statusCode(400).body("detail", containsString("two tools"));
        List<Object> many = new ArrayList<>();
        for (int i = 0; i < 129; i++) many.add(Map.of("type", "function", "function", Map.of("name", "f" + i)));
        Map<String, Object> tooMany = request("required");
        tooMany.put("tools", many);
        given().contentType(json).body(tooMany).post("/v1/chat/completions").then().statusCode(400).body("detail", containsString("128"));
        given().contentType(json).body(request("required", "response_format", Map.of("type", "json_object")))
                .post("/v1/chat/completions").then().statusCode(400).body("detail", containsString("cannot both"));
        given().contentType(json).body(request("required", "max_tokens", 3)).post("/v1/chat/completions")
                .then().statusCode(400).body("detail", containsString("shortest answer"));
        given().get("/q/health/live").then().statusCode(200);
    }
}
