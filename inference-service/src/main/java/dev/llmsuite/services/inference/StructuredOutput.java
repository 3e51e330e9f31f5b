package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.engine.generate.json.JsonGrammar;
import dev.llmsuite.engine.generate.json.SchemaNode;
import dev.llmsuite.engine.generate.json.TokenTrie;
import dev.llmsuite.records.Json;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.TextTokenizer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code response_format} on completions and chat completions, OpenAI's shape: {@code {"type": "text"}} (free),
 * {@code {"type": "json_object"}} (any JSON object) or {@code {"type": "json_schema", "json_schema": {"name",
 * "schema", "strict"}}}. The schema is compiled once ({@link SchemaNode}: what it cannot enforce is a 400) into a
 * {@link JsonGrammar} over the model's vocabulary; grammars are kept by (vocabulary, schema), so the token masks a
 * schema needs are computed once for every request that sends it.
 */
final class StructuredOutput {
    /** Largest schema accepted, as JSON text. */
    static final int MAX_SCHEMA_CHARS = 65_536;
    /** Grammars kept (least recently used out): at most 32 × 1.6 MB of masks, whatever schemas clients send. */
    private static final int CACHED_GRAMMARS = 32;

    private static final Map<String, TokenTrie> TRIES = new LinkedHashMap<>();
    private static final Map<String, JsonGrammar> GRAMMARS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JsonGrammar> eldest) {
            return size() > CACHED_GRAMMARS;
        }
    };

    private StructuredOutput() {}

    /**
     * The grammar a request asks for: a tool call when a chat request's tool_choice forces one ({@link ToolCalls}),
     * else its response_format; null for free text; 400 for what cannot be enforced.
     */
    static JsonGrammar of(GenerationRequest req, PromptFormat prompts, int vocabSize) {
        ToolCalls.Choice choice = req instanceof ChatRequest chat ? chat.tooling() : null;
        if (choice != null && choice.forced()) {
            JsonNode format = req.responseFormat();
            if (format != null && !format.isNull() && !"text".equals(format.path("type").asText())) {
                throw ProblemException.badRequest("a forced tool call ('tool_choice') and a 'response_format' cannot both shape the answer");
            }
            Map<String, Object> tools = ToolCalls.parameterSchemas(choice);
            return cached(prompts, vocabSize, "tools\n" + Json.write(tools), () -> SchemaNode.toolCall(tools));
        }
        return of(req.responseFormat(), prompts, vocabSize);
    }

    /** The grammar a response_format asks for, or null for free text; 400 for what cannot be enforced. */
    static JsonGrammar of(JsonNode format, PromptFormat prompts, int vocabSize) {
        if (format == null || format.isNull()) return null;
        if (!format.isObject() || !format.path("type").isTextual()) {
            throw ProblemException.badRequest("'response_format' must be an object with a 'type'");
        }
        String schemaText;
        switch (format.get("type").asText()) {
            case "text" -> {
                return null;
            }
            case "json_object" -> schemaText = null;
            case "json_schema" -> {
                JsonNode spec = format.path("json_schema");
                if (!spec.isObject() || !spec.path("schema").isObject()) {
                    throw ProblemException.badRequest("'response_format.json_schema' needs a 'schema' object");
                }
                if (spec.has("name") && (!spec.get("name").isTextual() || spec.get("name").asText().length() > 64)) {
                    throw ProblemException.badRequest("'response_format.json_schema.name' is a string of at most 64 characters");
                }
                schemaText = spec.get("schema").toString();
                if (schemaText.length() > MAX_SCHEMA_CHARS) {
                    throw ProblemException.badRequest("the schema has " + schemaText.length() + " characters; at most " + MAX_SCHEMA_CHARS);
                }
            }
            default -> throw ProblemException.badRequest("'response_format.type' must be text, json_object or json_schema");
        }
        String schema = schemaText;
        return cached(prompts, vocabSize, schema == null ? "json_object" : schema,
                () -> schema == null ? SchemaNode.anyObject() : SchemaNode.compile(Json.parse(schema)));
    }

    /** The grammar of (vocabulary, what) from the cache, or compiled now; a schema the compiler refuses is a 400. */
    private static JsonGrammar cached(PromptFormat prompts, int vocabSize, String what, Supplier<SchemaNode> compile) {
        TextTokenizer tokenizer = prompts.tokenizer();
        int end = prompts.endOfText();
        String vocabulary = tokenizer.vocabulary().hash() + "/" + vocabSize + "/" + end;
        String key = vocabulary + "\n" + what;
        synchronized (GRAMMARS) {
            JsonGrammar cached = GRAMMARS.get(key);
            if (cached != null) return cached;
        }
        SchemaNode root;
        try {
            root = compile.get();
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("response_format: " + e.getMessage());
        }
        JsonGrammar grammar = new JsonGrammar(root, trie(vocabulary, tokenizer, vocabSize), end);
        synchronized (GRAMMARS) {
            GRAMMARS.put(key, grammar);
        }
        return grammar;
    }

    /** The vocabulary's trie, built once: ids the model has and the tokenizer spells (special tokens are never generated). */
    private static TokenTrie trie(String key, TextTokenizer tokenizer, int vocabSize) {
        synchronized (TRIES) {
            return TRIES.computeIfAbsent(key, k -> {
                byte[][] tokens = new byte[vocabSize][];
                for (int id = 0; id < vocabSize; id++) tokens[id] = tokenizer.vocabulary().tokenBytes(id);
                return new TokenTrie(tokens);
            });
        }
    }
}
