package dev.llmsuite.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** YAML documents as plain maps and lists, the form Kustomize works on. */
final class Yaml {
    static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());

    private Yaml() {}

    /** Every non-empty document of a file. */
    static List<Map<String, Object>> documents(Path file) {
        try (MappingIterator<Map<String, Object>> it = MAPPER.readerFor(new TypeReference<Map<String, Object>>() {})
                .readValues(Files.readString(file))) {
            List<Map<String, Object>> out = new ArrayList<>();
            while (it.hasNext()) {
                Map<String, Object> doc = it.next();
                if (doc != null && !doc.isEmpty()) out.add(doc);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    static List<Map<String, Object>> documents(String text) {
        try {
            Path tmp = Files.createTempFile("yaml-", ".yaml");
            Files.writeString(tmp, text);
            try {
                return documents(tmp);
            } finally {
                Files.delete(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    /** The value at a dotted path of map keys, or null. */
    static Object at(Map<String, Object> doc, String path) {
        Object cur = doc;
        for (String key : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) return null;
            cur = m.get(key);
        }
        return cur;
    }

    static String kind(Map<String, Object> doc) {
        return (String) doc.get("kind");
    }

    static String name(Map<String, Object> doc) {
        return (String) at(doc, "metadata.name");
    }

    static String id(Map<String, Object> doc) {
        return kind(doc) + "/" + name(doc);
    }
}
