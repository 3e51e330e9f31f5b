package dev.llmsuite.engine.generate.json;

import dev.llmsuite.records.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A JSON Schema compiled to what the decoder can enforce byte by byte. Supported keywords: {@code type} (object,
 * array, string, number, integer, boolean, null, or a list of these), {@code properties}, {@code required},
 * {@code additionalProperties: false}, {@code items}, {@code enum}, {@code const}, and the annotations
 * {@code title}, {@code description}, {@code $schema}, {@code default}, {@code examples}. Anything else is refused
 * ({@link UnsupportedSchemaException}) rather than silently not enforced. Objects are written with their properties in
 * the schema's order, optional ones maybe left out; no whitespace is generated. Nodes are compared by identity.
 */
public abstract sealed class SchemaNode {
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "default", "examples", "$id", "$comment");

    /** The fewest bytes a value of this node takes. */
    abstract int minLength();

    /** An object with declared properties, in the schema's order. */
    static final class ObjectNode extends SchemaNode {
        /** A property: its key as written ({@code "name":}), its value's node, whether it is required. */
        record Property(byte[] key, SchemaNode value, boolean required) {}

        final List<Property> properties;
        /** restAfter[i]: the fewest bytes to close the object once property i-1 is written (or at the start, i = 0). */
        final int[] restAfter;
        private final int minLength;

        ObjectNode(List<Property> properties) {
            this.properties = properties;
            int n = properties.size();
            restAfter = new int[n + 1];
            restAfter[n] = 1; // '}'
            for (int i = n - 1; i >= 0; i--) {
                Property p = properties.get(i);
                restAfter[i] = restAfter[i + 1] + (p.required() ? 1 + p.key().length + p.value().minLength() : 0); // ',' key value
            }
            int first = -1;
            for (int i = 0; i < n && first < 0; i++) if (properties.get(i).required()) first = i;
            minLength = first < 0 ? 2 : 1 + properties.get(first).key().length + properties.get(first).value().minLength() + restAfter[first + 1];
        }

        /** The fewest bytes to close the object when property {@code next} is the next that may be written. */
        int restFrom(int next, boolean written) {
            for (int i = next; i < properties.size(); i++) {
                Property p = properties.get(i);
                if (p.required()) return (written ? 1 : 0) + p.key().length + p.value().minLength() + restAfter[i + 1];
            }
            return 1;
        }

        @Override
        int minLength() {
            return minLength;
        }
    }

    /** Any object (json_object mode, or {@code "type": "object"} without properties): string keys, any values. */
    static final class FreeObjectNode extends SchemaNode {
        @Override
        int minLength() {
            return 2;
        }
    }

    static final class ArrayNode extends SchemaNode {
        final SchemaNode items;

        ArrayNode(SchemaNode items) {
            this.items = items;
        }

        @Override
        int minLength() {
            return 2;
        }
    }

    static final class StringNode extends SchemaNode {
        @Override
        int minLength() {
            return 2;
        }
    }

    static final class NumberNode extends SchemaNode {
        final boolean integer;

        NumberNode(boolean integer) {
            this.integer = integer;
        }

        @Override
        int minLength() {
            return 1;
        }
    }

    /** One of fixed JSON texts: an enum, a const, true/false, null. */
    static final class LiteralNode extends SchemaNode {
        final List<byte[]> literals;

        LiteralNode(List<byte[]> literals) {
            this.literals = literals;
        }

        @Override
        int minLength() {
            return literals.stream().mapToInt(l -> l.length).min().orElseThrow();
        }
    }

    /** Any JSON value. */
    static final class AnyNode extends SchemaNode {
        @Override
        int minLength() {
            return 1;
        }
    }

    /** One of several types ({@code "type": [...]}); the first byte decides which. */
    static final class ChoiceNode extends SchemaNode {
        final List<SchemaNode> options;

        ChoiceNode(List<SchemaNode> options) {
            this.options = options;
        }

        @Override
        int minLength() {
            return options.stream().mapToInt(SchemaNode::minLength).min().orElseThrow();
        }
    }

    /**
     * A call of one of several tools, as {@code {"name":"TOOL","arguments":{...}}}: the arguments follow the schema
     * of the tool the name chose (OpenAI's tool calling, {@code tool_choice} "required" or a named function).
     */
    static final class ToolCallNode extends SchemaNode {
        static final byte[] PREFIX = "{\"name\":".getBytes(StandardCharsets.UTF_8);
        static final byte[] ARGUMENTS = ",\"arguments\":".getBytes(StandardCharsets.UTF_8);

        /** Each tool's name as written (quoted) and its parameters' node. */
        final List<byte[]> names;
        final List<SchemaNode> parameters;

        ToolCallNode(List<byte[]> names, List<SchemaNode> parameters) {
            this.names = names;
            this.parameters = parameters;
        }

        /** The fewest bytes after the name's first {@code pos} bytes, for tool {@code t}. */
        int restFrom(int t, int pos) {
            return names.get(t).length - pos + ARGUMENTS.length + parameters.get(t).minLength() + 1;
        }

        @Override
        int minLength() {
            int best = Integer.MAX_VALUE;
            for (int t = 0; t < names.size(); t++) best = Math.min(best, restFrom(t, 0));
            return PREFIX.length + best;
        }
    }

    /**
     * A tool call of one of these tools (name → parameters schema, in order); each schema compiles as
     * {@link #compile} does. {@code {"type": "object"}} or an absent schema means any object.
     */
    public static SchemaNode toolCall(Map<String, Object> parametersByName) {
        if (parametersByName.isEmpty()) throw new UnsupportedSchemaException("no tools to call");
        List<byte[]> names = new ArrayList<>();
        List<SchemaNode> parameters = new ArrayList<>();
        for (var e : parametersByName.entrySet()) {
            names.add(bytes(Json.quote(e.getKey())));
            Object schema = e.getValue() == null ? Map.of("type", "object") : e.getValue();
            SchemaNode node = compile(schema, "#/tools/" + e.getKey() + "/parameters", 1);
            if (!(node instanceof ObjectNode) && !(node instanceof FreeObjectNode)) {
                throw new UnsupportedSchemaException("tool '" + e.getKey() + "': parameters must be an object schema");
            }
            parameters.add(node);
        }
        return new ToolCallNode(names, parameters);
    }

    /** A keyword this compiler does not enforce, or a schema that is not one. */
    public static final class UnsupportedSchemaException extends IllegalArgumentException {
        UnsupportedSchemaException(String message) {
            super(message);
        }
    }

    /** json_object mode: any JSON object. */
    public static SchemaNode anyObject() {
        return new FreeObjectNode();
    }

    /** Compiles a schema parsed by {@code dev.llmsuite.records.Json} (maps, lists, strings, numbers, booleans, null). */
    public static SchemaNode compile(Object schema) {
        return compile(schema, "#", 0);
    }

    private static final int MAX_DEPTH = 32;

    private static SchemaNode compile(Object schema, String at, int depth) {
        if (depth > MAX_DEPTH) throw new UnsupportedSchemaException(at + ": nested deeper than " + MAX_DEPTH);
        if (Boolean.TRUE.equals(schema)) return new AnyNode();
        if (!(schema instanceof Map<?, ?> map)) throw new UnsupportedSchemaException(at + ": a schema must be an object");
        for (Object key : map.keySet()) {
            String k = String.valueOf(key);
            if (!ANNOTATIONS.contains(k) && !Set.of("type", "properties", "required", "additionalProperties", "items", "enum", "const").contains(k)) {
                throw new UnsupportedSchemaException(at + ": keyword '" + k + "' is not supported");
            }
        }
        if (map.containsKey("const")) return new LiteralNode(List.of(literal(map.get("const"), at + "/const")));
        if (map.containsKey("enum")) {
            if (!(map.get("enum") instanceof List<?> values) || values.isEmpty()) throw new UnsupportedSchemaException(at + "/enum: a non-empty list");
            List<byte[]> literals = new ArrayList<>();
            for (Object v : values) literals.add(literal(v, at + "/enum"));
            return new LiteralNode(literals);
        }
        Object type = map.get("type");
        if (type == null) {
            if (map.containsKey("properties")) type = "object";
            else if (map.containsKey("items")) type = "array";
            else return new AnyNode();
        }
        if (type instanceof List<?> types) {
            if (types.isEmpty()) throw new UnsupportedSchemaException(at + "/type: an empty list");
            List<SchemaNode> options = new ArrayList<>();
            for (Object t : types) options.add(ofType(String.valueOf(t), map, at, depth));
            boolean number = types.contains("number"), integer = types.contains("integer");
            if (number && integer) options.removeIf(n -> n instanceof NumberNode nn && nn.integer); // number covers integer
            return options.size() == 1 ? options.getFirst() : new ChoiceNode(options);
        }
        return ofType(String.valueOf(type), map, at, depth);
    }

    private static SchemaNode ofType(String type, Map<?, ?> map, String at, int depth) {
        return switch (type) {
            case "object" -> object(map, at, depth);
            case "array" -> new ArrayNode(map.containsKey("items") ? compile(map.get("items"), at + "/items", depth + 1) : new AnyNode());
            case "string" -> new StringNode();
            case "number" -> new NumberNode(false);
            case "integer" -> new NumberNode(true);
            case "boolean" -> new LiteralNode(List.of(bytes("true"), bytes("false")));
            case "null" -> new LiteralNode(List.of(bytes("null")));
            default -> throw new UnsupportedSchemaException(at + "/type: '" + type + "' is not a JSON Schema type");
        };
    }

    private static SchemaNode object(Map<?, ?> map, String at, int depth) {
        Object additional = map.get("additionalProperties");
        if (additional != null && !Boolean.FALSE.equals(additional) && !Boolean.TRUE.equals(additional)) {
            throw new UnsupportedSchemaException(at + "/additionalProperties: only true or false is supported");
        }
        if (!(map.get("properties") instanceof Map<?, ?> properties) || properties.isEmpty()) {
            if (map.containsKey("required") && map.get("required") instanceof List<?> r && !r.isEmpty()) {
                throw new UnsupportedSchemaException(at + "/required: names properties the schema does not declare");
            }
            return new FreeObjectNode();
        }
        List<?> required = map.get("required") == null ? List.of() : map.get("required") instanceof List<?> r ? r : null;
        if (required == null) throw new UnsupportedSchemaException(at + "/required: a list of property names");
        for (Object r : required) {
            if (!properties.containsKey(r)) throw new UnsupportedSchemaException(at + "/required: '" + r + "' is not among the properties");
        }
        List<ObjectNode.Property> out = new ArrayList<>();
        for (var e : properties.entrySet()) {
            String name = String.valueOf(e.getKey());
            byte[] key = bytes(Json.quote(name) + ":");
            out.add(new ObjectNode.Property(key, compile(e.getValue(), at + "/properties/" + name, depth + 1), required.contains(name)));
        }
        return new ObjectNode(out);
    }

    /** An enum or const value as the JSON text the model must write. */
    private static byte[] literal(Object v, String at) {
        if (v == null) return bytes("null");
        if (v instanceof String s) return bytes(Json.quote(s));
        if (v instanceof Boolean b) return bytes(b.toString());
        if (v instanceof Long l) return bytes(l.toString());
        if (v instanceof Double d && Double.isFinite(d)) {
            return bytes(d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(d.longValue()) : String.format(Locale.ROOT, "%s", d));
        }
        throw new UnsupportedSchemaException(at + ": only strings, numbers, booleans and null are supported as values");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
