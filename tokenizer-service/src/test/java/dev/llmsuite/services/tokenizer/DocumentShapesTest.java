package dev.llmsuite.services.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.records.DocumentRecord;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** Every shape corpus.documents takes, where ids come from, and what each malformed record is told. */
class DocumentShapesTest {
    private static final DocumentShapes.Place PLACE = new DocumentShapes.Place(2, 41);

    private static RecordHeaders headers(String... namesAndValues) {
        RecordHeaders h = new RecordHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) h.add(namesAndValues[i], namesAndValues[i + 1].getBytes(StandardCharsets.UTF_8));
        return h;
    }

    private static DocumentRecord read(String key, RecordHeaders headers, String value) {
        return DocumentShapes.read(key, headers, value.getBytes(StandardCharsets.UTF_8), PLACE, "gpt2");
    }

    private static String refusal(String key, RecordHeaders headers, byte[] value) {
        return assertThrows(IllegalArgumentException.class, () -> DocumentShapes.read(key, headers, value, PLACE, "gpt2")).getMessage();
    }

    @Test
    void plainTextNamedByItsKeyOrHeaders() {
        DocumentRecord d = read("books/verdict", headers(), "I HAD always thought Jack Gisburn");
        assertEquals("books", d.datasetId());
        assertEquals("verdict", d.documentId());
        assertEquals("gpt2", d.encoding());
        assertEquals("I HAD always thought Jack Gisburn", new String(d.utf8Text(), StandardCharsets.UTF_8));

        DocumentRecord h = read(null, headers("llm-dataset", "books", "llm-document", "ch-1", "llm-encoding", "r50k"), "text");
        assertEquals("books/ch-1", h.key());
        assertEquals("r50k", h.encoding());

        DocumentRecord unnamed = read("books", headers(), "a line from a console producer");
        assertEquals("kafka-2-41", unnamed.documentId(), "its place names a document without an id, the same on redelivery");

        DocumentRecord braces = read("books/code", headers("content-type", "text/plain; charset=UTF-8"), "{ not json }");
        assertEquals("{ not json }", new String(braces.utf8Text(), StandardCharsets.UTF_8), "told text/plain, a brace is text");
    }

    @Test
    void jsonWithItsOwnIdsOrTheKeys() {
        DocumentRecord j = read(null, headers(), "  {\"dataset\": \"books\", \"id\": \"v\", \"text\": \"ünï\", \"encoding\": \"gpt2\"}");
        assertEquals("books/v", j.key());
        assertArrayEquals("ünï".getBytes(StandardCharsets.UTF_8), j.utf8Text());
        DocumentRecord fromKey = read("books/w", headers("content-type", "application/json"), "{\"text\": \"t\"}");
        assertEquals("books/w", fromKey.key());
    }

    @Test
    void theBinaryRecordAsBefore() {
        DocumentRecord doc = new DocumentRecord("books", "b", "gpt2", "text".getBytes(StandardCharsets.UTF_8));
        DocumentRecord read = DocumentShapes.read("ignored", headers(), doc.encode(), PLACE, "gpt2");
        assertEquals(doc.key(), read.key());
        assertArrayEquals(doc.utf8Text(), read.utf8Text());
    }

    @Test
    void malformedRecordsAreRefusedWithTheirReason() {
        byte[] text = "text".getBytes(StandardCharsets.UTF_8);
        assertTrue(refusal("a/b", headers("content-type", "application/xml"), text).contains("is not one of"));
        assertTrue(refusal("a/b", headers("content-type", "text/plain; charset=ISO-8859-1"), text).contains("UTF-8 only"));
        assertTrue(refusal("a/b", headers(), null).contains("tombstone"));
        assertTrue(refusal(null, headers(), text).contains("no dataset"));
        assertTrue(refusal("", headers(), text).contains("no dataset"));
        assertTrue(refusal("../b", headers(), text).contains("'dataset' must be"));
        assertTrue(refusal("a/../../etc", headers(), text).contains("'document' must be"));
        assertTrue(refusal("a/b", headers("llm-document", "x".repeat(129)), text).contains("'document' must be"));
        assertTrue(refusal("a/b", headers("llm-dataset", "adapters/.."), text).contains("'dataset' must be"));
        assertTrue(refusal("a/b", headers(), "{\"text\": 1} trailing".getBytes(StandardCharsets.UTF_8)).contains("not a JSON document"));
        assertTrue(refusal("a/b", headers(), "{\"text\": \"t\", \"extra\": 1}".getBytes(StandardCharsets.UTF_8)).contains("not a JSON document"));
        assertTrue(refusal("a/b", headers(), "{\"id\": \"x\"}".getBytes(StandardCharsets.UTF_8)).contains("needs \"text\""));
        assertTrue(refusal("a/b", headers(), "{ plain text that opens a brace".getBytes(StandardCharsets.UTF_8)).contains("content-type: text/plain"));
        assertTrue(refusal("a/b", headers("content-type", "application/vnd.llm-suite.document"), text).contains("bad magic"));
        byte[] truncated = {'L', 'M', 1, 1, 9};
        assertTrue(refusal("a/b", headers(), truncated).contains("truncated"), "recognised as binary by its header, then refused");
    }
}
