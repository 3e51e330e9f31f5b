package dev.llmsuite.services.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.DocumentRecord;
import dev.llmsuite.records.MalformedRecordException;
import dev.llmsuite.records.Names;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The shapes of a document on {@code corpus.documents}, so that any producer can feed the suite (kcat, the console
 * producer, Kafka Connect, a stream job), not only one linking {@code libs/records}:
 *
 * <pre>
 *   shape    content-type header                    or recognised by            value
 *   binary   application/vnd.llm-suite.document     its magic "LM" and kind 1    DocumentRecord (libs/records)
 *   json     application/json                       first non-blank byte '{'     {"dataset", "id", "text", "encoding"?}
 *   text     text/plain (charset UTF-8 only)        anything else                the document's UTF-8 text
 * </pre>
 *
 * The dataset and document id of a text (and, where its fields leave them out, a JSON) record come from the headers
 * {@code llm-dataset} and {@code llm-document}, else from the key {@code dataset/document} (or {@code dataset}
 * alone); without a document id the record's place names it, {@code kafka-PARTITION-OFFSET}, the same on every
 * redelivery. {@code llm-encoding} (default: the service's) names the vocabulary. Ids follow {@link Names}' rule.
 * Any other content type, or a record these rules cannot read, is refused with its reason (the dead-letter topic).
 */
final class DocumentShapes {
    static final String CONTENT_TYPE = "content-type";
    static final String DATASET = "llm-dataset", DOCUMENT = "llm-document", ENCODING = "llm-encoding";
    static final String BINARY_TYPE = "application/vnd.llm-suite.document", JSON_TYPE = "application/json", TEXT_TYPE = "text/plain";

    enum Shape { BINARY, JSON, TEXT }

    /** Where a record sits on its topic: names a document that carries no id of its own. */
    record Place(int partition, long offset) {
        String documentId() { return "kafka-" + partition + "-" + offset; }
    }

    /** A JSON document; any field missing is taken from the headers or key as for a text. */
    @RegisterForReflection // read by Jackson, also in a native image
    record JsonDocument(String dataset, String id, String text, String encoding) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private DocumentShapes() {}

    /** The document a record carries, whatever its shape; IllegalArgumentException with the reason otherwise. */
    static DocumentRecord read(String key, Headers headers, byte[] value, Place place, String defaultEncoding) {
        if (value == null) throw new IllegalArgumentException("the record has no value (a tombstone is not a document)");
        return switch (shapeOf(header(headers, CONTENT_TYPE), value)) {
            case BINARY -> binary(value);
            case JSON -> json(key, headers, value, place, defaultEncoding);
            case TEXT -> new DocumentRecord(dataset(null, key, headers), document(null, key, headers, place),
                    encoding(null, headers, defaultEncoding), value);
        };
    }

    static Shape shapeOf(String contentType, byte[] value) {
        if (contentType != null) {
            String[] parts = contentType.split(";");
            String type = parts[0].strip().toLowerCase(Locale.ROOT);
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].strip().toLowerCase(Locale.ROOT);
                if (p.startsWith("charset=") && !p.equals("charset=utf-8")) {
                    throw new IllegalArgumentException("content-type '" + contentType + "': documents are UTF-8 only");
                }
            }
            return switch (type) {
                case BINARY_TYPE -> Shape.BINARY;
                case JSON_TYPE -> Shape.JSON;
                case TEXT_TYPE -> Shape.TEXT;
                default -> throw new IllegalArgumentException("content-type '" + contentType + "' is not one of " + BINARY_TYPE
                        + ", " + JSON_TYPE + ", " + TEXT_TYPE);
            };
        }
        // the binary record's magic and kind: no text document begins with "LM" and a control character
        if (value.length >= 3 && value[0] == 'L' && value[1] == 'M' && value[2] == 1) return Shape.BINARY;
        for (byte b : value) {
            if (b == ' ' || b == '\t' || b == '\r' || b == '\n') continue;
            return b == '{' ? Shape.JSON : Shape.TEXT;
        }
        return Shape.TEXT;
    }

    private static DocumentRecord binary(byte[] value) {
        try {
            return DocumentRecord.decode(value);
        } catch (MalformedRecordException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static DocumentRecord json(String key, Headers headers, byte[] value, Place place, String defaultEncoding) {
        JsonDocument d;
        try {
            d = JSON.readValue(value, JsonDocument.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON document {\"dataset\", \"id\", \"text\", \"encoding\"?} (a plain text "
                    + "that begins with '{' needs the header content-type: text/plain): " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("unreadable JSON: " + e.getMessage());
        }
        if (d == null || d.text() == null) throw new IllegalArgumentException("a JSON document needs \"text\"");
        return new DocumentRecord(dataset(d.dataset(), key, headers), document(d.id(), key, headers, place),
                encoding(d.encoding(), headers, defaultEncoding), d.text().getBytes(StandardCharsets.UTF_8));
    }

    private static String dataset(String given, String key, Headers headers) {
        String dataset = first(given, header(headers, DATASET), keyPart(key, 0));
        if (dataset == null) {
            throw new IllegalArgumentException("no dataset: give the header " + DATASET + " or the key 'dataset/document'");
        }
        return Names.require("dataset", dataset);
    }

    private static String document(String given, String key, Headers headers, Place place) {
        String id = first(given, header(headers, DOCUMENT), keyPart(key, 1));
        return Names.require("document", id != null ? id : place.documentId());
    }

    private static String encoding(String given, Headers headers, String defaultEncoding) {
        return first(given, header(headers, ENCODING), defaultEncoding);
    }

    /** Part i of "dataset/document" (a key without '/' is a dataset alone). */
    private static String keyPart(String key, int i) {
        if (key == null || key.isEmpty()) return null;
        int slash = key.indexOf('/');
        if (slash < 0) return i == 0 ? key : null;
        return i == 0 ? key.substring(0, slash) : key.substring(slash + 1);
    }

    static String header(Headers headers, String name) {
        Header h = headers == null ? null : headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String first(String... candidates) {
        for (String c : candidates) if (c != null) return c;
        return null;
    }
}
