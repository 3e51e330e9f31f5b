package dev.llmsuite.engine.generate.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.records.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The JSON automaton accepts exactly the texts its schema allows, its shortest completion is exact, and a constraint
 * driven by random logits (a model that knows nothing) always ends with JSON that parses and validates, within its
 * token budget.
 */
class JsonConstraintTest {
    static final String PERSON = """
            {"type": "object", "properties": {
               "name": {"type": "string"},
               "age": {"type": "integer"},
               "email": {"type": ["string", "null"]},
               "tags": {"type": "array", "items": {"enum": ["a", "b\\"c", 10, true, null]}},
               "address": {"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "number"}},
                           "required": ["city"]},
               "active": {"type": "boolean"}
             },
             "required": ["name", "age", "address"], "additionalProperties": false}""";

    private static SchemaNode schema(String json) {
        return SchemaNode.compile(Json.parse(json));
    }

    private static JsonState run(JsonState s, String text) {
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            if (s == null) return null;
            s = s.feed(b & 0xff);
        }
        return s;
    }

    private static boolean accepts(SchemaNode node, String text) {
        JsonState s = run(JsonState.start(node), text);
        return s != null && s.canEndHere();
    }

    @Test
    void acceptsExactlyWhatTheSchemaAllows() {
        SchemaNode person = schema(PERSON);
        assertTrue(accepts(person, "{\"name\":\"Ann\",\"age\":42,\"address\":{\"city\":\"Oslo\"}}"));
        assertTrue(accepts(person, "{\"name\":\"A\\u00e9\\n\",\"age\":-0,\"email\":null,\"tags\":[\"b\\\"c\",10,true],"
                + "\"address\":{\"city\":\"\",\"zip\":1.5e-3},\"active\":false}"));
        assertTrue(accepts(person, "{\"name\":\"Ånne 😀\",\"age\":1,\"email\":\"x\",\"address\":{\"city\":\"c\"}}"));
        for (String bad : List.of(
                "{\"age\":42,\"name\":\"Ann\",\"address\":{\"city\":\"x\"}}",       // out of order
                "{\"name\":\"Ann\",\"address\":{\"city\":\"x\"}}",                  // missing required
                "{\"name\":\"Ann\",\"age\":4.5,\"address\":{\"city\":\"x\"}}",     // not an integer
                "{\"name\":\"Ann\",\"age\":042,\"address\":{\"city\":\"x\"}}",     // leading zero
                "{\"name\":\"Ann\",\"age\":1,\"tags\":[\"c\"],\"address\":{\"city\":\"x\"}}", // not in the enum
                "{\"name\":\"Ann\",\"age\":1,\"address\":{\"city\":\"x\"},\"extra\":1}",      // undeclared property
                "{\"name\":\"A\u0001\",\"age\":1,\"address\":{\"city\":\"x\"}}",   // a raw control character
                "{\"name\":\"Ann\",\"age\":1,\"address\":{\"city\":\"x\"}} ",     // anything after the value
                "{ \"name\":\"Ann\",\"age\":1,\"address\":{\"city\":\"x\"}}")) {   // whitespace is not generated
            assertTrue(!accepts(person, bad), bad);
        }
        SchemaNode any = SchemaNode.anyObject();
        assertTrue(accepts(any, "{\"a\":[1,{\"b\":null},\"x\",-2.5E+7,false],\"c\":{}}"));
        assertTrue(!accepts(any, "[1]"));
        assertTrue(!accepts(any, "{\"a\"}"));
        assertTrue(accepts(schema("{\"type\": \"integer\"}"), "123"), "a top-level number ends with the text");
        assertNull(run(JsonState.start(schema("{\"type\": \"integer\"}")), "12}"));
    }

    @Test
    void refusesWhatItCannotEnforce() {
        for (String bad : List.of("{\"type\": \"string\", \"pattern\": \"a+\"}", "{\"anyOf\": []}", "{\"$ref\": \"#/x\"}",
                "{\"type\": \"object\", \"properties\": {\"a\": {}}, \"required\": [\"b\"]}", "{\"type\": \"date\"}",
                "{\"type\": \"object\", \"additionalProperties\": {\"type\": \"string\"}}", "[]", "{\"enum\": []}")) {
            var e = assertThrows(SchemaNode.UnsupportedSchemaException.class, () -> schema(bad), bad);
            assertNotNull(e.getMessage());
        }
    }

    @Test
    void theShortestCompletionIsExactFromEveryPrefix() {
        SchemaNode person = schema(PERSON);
        String text = "{\"name\":\"A\\u00e9\",\"age\":-12,\"email\":null,\"tags\":[\"b\\\"c\",10],\"address\":{\"city\":\"O\",\"zip\":1.5e-3},\"active\":true}";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        JsonState s = JsonState.start(person);
        for (int i = 0; i <= bytes.length; i++) {
            int need = s.minClose();
            JsonState c = s;
            StringBuilder closing = new StringBuilder();
            for (int k = 0; k < need; k++) {
                int b = c.closingByte();
                closing.append((char) b);
                c = c.feed(b);
                assertEquals(need - k - 1, c.minClose(), "each closing byte brings it one closer, after " + text.substring(0, i) + closing);
            }
            assertTrue(c.canEndHere(), text.substring(0, Math.min(i, text.length())) + closing);
            assertNotNull(Json.parse(new String(bytes, 0, i, StandardCharsets.UTF_8) + closing));
            if (i < bytes.length) s = s.feed(bytes[i] & 0xff);
        }
    }

    @Test
    void theShortestAnswerIsCountedInTokensAndAlwaysFitsExactly() {
        byte[][] vocab = vocabulary();
        int end = vocab.length - 1;
        JsonGrammar grammar = new JsonGrammar(schema(PERSON), new TokenTrie(vocab), end);
        int bytes = JsonState.start(schema(PERSON)).minClose();
        assertTrue(grammar.minTokens() < bytes, grammar.minTokens() + " tokens for the " + bytes + " bytes of the shortest answer");
        Random random = new Random(11);
        for (int run = 0; run < 100; run++) { // a budget of exactly the minimum: every answer is the shortest, complete
            int budget = grammar.minTokens();
            JsonConstraint c = grammar.constraint();
            TokenSampler sampler = new TokenSampler(new SamplingParams(budget, 1.0, 0, 1.0, run, Set.of(end)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int made = 0; made < budget && !c.complete(); made++) {
                float[] logits = new float[vocab.length];
                for (int i = 0; i < logits.length; i++) logits[i] = (float) (random.nextGaussian() * 3);
                out.writeBytes(vocab[c.next(logits, sampler, budget - made)]);
            }
            assertTrue(c.complete(), out.toString(StandardCharsets.UTF_8));
            assertTrue(Validator.valid(Json.parse(PERSON), Json.parse(out.toString(StandardCharsets.UTF_8))));
        }
    }

    /** All 256 bytes plus words and JSON pieces, as a BPE vocabulary mixes them. */
    static byte[][] vocabulary() {
        List<byte[]> v = new ArrayList<>();
        for (int b = 0; b < 256; b++) v.add(new byte[] {(byte) b});
        for (String t : List.of("{\"", "\":", "\",\"", "\"}", "}}", "]}", "[[", "[\"", "\"]", "true", "false", "null", "name", " the",
                "123", "0.", "e+", "-1", "\\n", "\\\"", "\\u00", "Oslo", "city", "\":\"", "\":{", "\":[", ",\"", "age\":", "\",", "é", "😀")) {
            v.add(t.getBytes(StandardCharsets.UTF_8));
        }
        v.add(null); // a special token: never generated
        return v.toArray(byte[][]::new);
    }

    @Test
    void randomLogitsAlwaysEndInValidJsonWithinTheBudget() {
        byte[][] vocab = vocabulary();
        int end = vocab.length - 1;
        TokenTrie trie = new TokenTrie(vocab);
        Random random = new Random(7);
        for (String schemaText : List.of(PERSON, "{\"type\": \"array\", \"items\": {\"type\": \"number\"}}", "{\"type\": \"integer\"}")) {
            JsonGrammar grammar = new JsonGrammar(schema(schemaText), trie, end);
            for (int run = 0; run < 200; run++) {
                int budget = grammar.minTokens() + random.nextInt(60);
                JsonConstraint c = grammar.constraint();
                TokenSampler sampler = new TokenSampler(new SamplingParams(budget, 1.0, 0, 1.0, run, Set.of(end)));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                int made = 0;
                while (made < budget && !c.complete()) {
                    float[] logits = new float[vocab.length];
                    for (int i = 0; i < logits.length; i++) logits[i] = (float) (random.nextGaussian() * 3);
                    int token = c.next(logits, sampler, budget - made);
                    made++;
                    if (token == end) break;
                    out.writeBytes(vocab[token]);
                }
                String text = out.toString(StandardCharsets.UTF_8);
                assertTrue(c.complete(), "complete within " + budget + " tokens: " + text);
                Object parsed = Json.parse(text);
                assertTrue(Validator.valid(Json.parse(schemaText), parsed), schemaText + " does not validate " + text);
            }
        }
    }

    static final String WEATHER = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}, \"unit\": {\"enum\": [\"c\", \"f\"]}},"
            + " \"required\": [\"city\", \"unit\"]}";
    static final String TIME = "{\"type\": \"object\", \"properties\": {\"zone\": {\"type\": \"string\"}}, \"required\": [\"zone\"]}";

    @SuppressWarnings("unchecked")
    private static Map<String, Object> tools() {
        Map<String, Object> tools = new java.util.LinkedHashMap<>();
        tools.put("get_weather", Json.parse(WEATHER));
        tools.put("get_time", Json.parse(TIME));
        tools.put("get_timezone", null); // any object: also a name that begins like another
        return tools;
    }

    @Test
    void toolCallsNameAToolAndFollowItsParameters() {
        SchemaNode call = SchemaNode.toolCall(tools());
        assertTrue(accepts(call, "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\",\"unit\":\"c\"}}"));
        assertTrue(accepts(call, "{\"name\":\"get_timezone\",\"arguments\":{\"x\":[1]}}"));
        assertTrue(!accepts(call, "{\"name\":\"get_time\",\"arguments\":{\"city\":\"Oslo\",\"unit\":\"c\"}}"), "another tool's arguments");
        assertTrue(!accepts(call, "{\"name\":\"rm_rf\",\"arguments\":{}}"), "no such tool");
        assertThrows(SchemaNode.UnsupportedSchemaException.class, () -> SchemaNode.toolCall(Map.of("t", Map.of("type", "string"))));

        TokenTrie trie = new TokenTrie(vocabulary());
        JsonGrammar grammar = new JsonGrammar(call, trie, vocabulary().length - 1);
        Random random = new Random(3);
        for (int run = 0; run < 200; run++) {
            int budget = grammar.minTokens() + random.nextInt(40);
            JsonConstraint c = grammar.constraint();
            TokenSampler sampler = new TokenSampler(new SamplingParams(budget, 1.0, 0, 1.0, run, Set.of()));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int made = 0; made < budget && !c.complete(); made++) {
                float[] logits = new float[vocabulary().length];
                for (int i = 0; i < logits.length; i++) logits[i] = (float) (random.nextGaussian() * 3);
                out.writeBytes(vocabulary()[c.next(logits, sampler, budget - made)]);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> parsed = (Map<String, Object>) Json.parse(out.toString(StandardCharsets.UTF_8));
            Object schema = tools().get((String) parsed.get("name"));
            assertTrue(tools().containsKey((String) parsed.get("name")), parsed.toString());
            assertTrue(Validator.valid(schema == null ? Map.of("type", "object") : schema, parsed.get("arguments")), parsed.toString());
        }
    }

    /** The supported keywords, checked the plain way. */
    static final class Validator {
        @SuppressWarnings("unchecked")
        static boolean valid(Object schemaObject, Object value) {
            if (!(schemaObject instanceof Map<?, ?>)) return true;
            Map<String, Object> s = (Map<String, Object>) schemaObject;
            if (s.containsKey("enum")) return ((List<Object>) s.get("enum")).stream().anyMatch(e -> same(e, value));
            Object type = s.get("type");
            if (type instanceof List<?> types) {
                return types.stream().anyMatch(t -> {
                    Map<String, Object> one = new HashMap<>(s);
                    one.put("type", t);
                    return valid(one, value);
                });
            }
            Map<String, Object> properties = (Map<String, Object>) s.getOrDefault("properties", Map.of());
            List<Object> required = (List<Object>) s.getOrDefault("required", List.of());
            return switch (String.valueOf(type)) {
                case "object" -> value instanceof Map<?, ?> m && required.stream().allMatch(m::containsKey)
                        && (!s.containsKey("properties") // an object without declared properties: any object
                        || m.entrySet().stream().allMatch(e -> properties.containsKey(e.getKey()) && valid(properties.get(e.getKey()), e.getValue())));
                case "array" -> value instanceof List<?> l && l.stream().allMatch(x -> valid(s.getOrDefault("items", true), x));
                case "string" -> value instanceof String;
                case "integer" -> value instanceof Long || value instanceof Double d && d == Math.rint(d);
                case "number" -> value instanceof Number;
                case "boolean" -> value instanceof Boolean;
                case "null" -> value == null;
                default -> true;
            };
        }

        private static boolean same(Object a, Object b) {
            if (a instanceof Number x && b instanceof Number y) return x.doubleValue() == y.doubleValue();
            return a == null ? b == null : a.equals(b);
        }
    }
}
