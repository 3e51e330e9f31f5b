package dev.llmsuite.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The published schemas of the topics other teams read (docs/schemas, JSON Schema 2020-12), for tests that check
 * what a service really emits against them.
 */
public final class JsonSchemas {
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    private JsonSchemas() {}

    /** docs/schemas/NAME from a module's directory (tests run in their module's folder). */
    public static Schema load(String name) {
        Path file = Path.of("..", "docs", "schemas", name);
        try (InputStream in = Files.newInputStream(file)) {
            return REGISTRY.getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException("no schema " + file.toAbsolutePath().normalize(), e);
        }
    }

    /** A schema given as JSON (a test's own, say the one it sends as a response_format). */
    public static Schema of(JsonNode schema) {
        return REGISTRY.getSchema(schema);
    }

    /** What is wrong with the value by the schema (empty: valid). */
    public static List<String> problems(Schema schema, JsonNode value) {
        return schema.validate(value).stream().map(Error::toString).toList();
    }
}
