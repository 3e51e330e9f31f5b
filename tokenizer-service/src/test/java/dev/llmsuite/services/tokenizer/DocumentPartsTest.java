package dev.llmsuite.services.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.records.DocumentRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** Documents in parts: joined in order, bounded in size and time, and every broken rule refused with its parts. */
class DocumentPartsTest {
    private static final long SECOND = 1_000_000_000L;

    private static DocumentRecord piece(String doc, String text) {
        return new DocumentRecord("books", doc, "gpt2", text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void partsInOrderMakeOneDocument() {
        DocumentParts<String> parts = new DocumentParts<>(100, 1000, 60 * SECOND);
        assertInstanceOf(DocumentParts.Held.class, parts.offer("m0", piece("v", "I HAD always "), 0, false, 0, 0));
        assertInstanceOf(DocumentParts.Held.class, parts.offer("m1", piece("v", "thought Jack "), 1, false, 0, 1));
        var whole = assertInstanceOf(DocumentParts.Complete.class, parts.offer("m2", piece("v", "Gisburn"), 2, true, 0, 2));
        assertEquals("I HAD always thought Jack Gisburn", new String(whole.document().utf8Text(), StandardCharsets.UTF_8));
        assertEquals("books/v", whole.document().key());
        assertEquals(List.of("m0", "m1", "m2"), whole.parts(), "every record of the document is acknowledged with it");
        assertEquals(0, parts.openBytes());
    }

    @Test
    void aPartOutOfOrderRefusesItsDocument() {
        DocumentParts<String> parts = new DocumentParts<>(100, 1000, 60 * SECOND);
        parts.offer("m0", piece("v", "a"), 0, false, 0, 0);
        var refused = assertInstanceOf(DocumentParts.Refused.class, parts.offer("m2", piece("v", "c"), 2, false, 0, 1));
        assertEquals(List.of("m0", "m2"), refused.parts());
        assertTrue(refused.reason().contains("part 2 of document books/v arrived where part 1 was due"), refused.reason());
        assertInstanceOf(DocumentParts.Refused.class, parts.offer("x1", piece("w", "b"), 1, true, 0, 2), "a document starts at part 0");
        assertEquals(0, parts.openBytes());
    }

    @Test
    void sizeAndEncodingAreBounded() {
        DocumentParts<String> parts = new DocumentParts<>(10, 15, 60 * SECOND);
        parts.offer("a0", piece("a", "123456"), 0, false, 0, 0);
        var tooBig = assertInstanceOf(DocumentParts.Refused.class, parts.offer("a1", piece("a", "12345"), 1, false, 0, 1));
        assertTrue(tooBig.reason().contains("max-document-bytes"), tooBig.reason());
        parts.offer("b0", piece("b", "12345678"), 0, false, 0, 2);
        var tooMuchOpen = assertInstanceOf(DocumentParts.Refused.class, parts.offer("c0", piece("c", "12345678"), 0, false, 0, 3));
        assertTrue(tooMuchOpen.reason().contains("max-open-part-bytes"), tooMuchOpen.reason());
        var otherEncoding = assertInstanceOf(DocumentParts.Refused.class,
                parts.offer("b1", new DocumentRecord("books", "b", "r50k", new byte[] {'x'}), 1, true, 0, 4));
        assertEquals(List.of("b0", "b1"), otherEncoding.parts());
        assertEquals(0, parts.openBytes());
    }

    @Test
    void aDocumentWhosePartsStopIsRefusedAfterTheTimeoutAndARebalanceForgetsWithoutRefusing() {
        DocumentParts<String> parts = new DocumentParts<>(100, 1000, 5 * SECOND);
        parts.offer("s0", piece("stalled", "a"), 0, false, 0, 0);
        parts.offer("m0", piece("moved", "b"), 0, false, 1, 0);
        parts.offer("l0", piece("lively", "c"), 0, false, 0, 4 * SECOND);
        assertEquals(List.of(), parts.expire(4 * SECOND));
        parts.forget(Set.of(1));
        var expired = parts.expire(6 * SECOND);
        assertEquals(1, expired.size(), "the moved document went with its partition, the lively one is within its time");
        assertEquals(List.of("s0"), expired.getFirst().parts());
        assertTrue(expired.getFirst().reason().contains("incomplete"), expired.getFirst().reason());
        assertEquals(1, parts.openBytes());
    }

    @Test
    void partHeadersAreNumbers() {
        RecordHeaders h = new RecordHeaders();
        assertEquals(null, DocumentParts.partOf(h));
        h.add("llm-part", "2".getBytes(StandardCharsets.UTF_8));
        h.add("llm-last-part", "TRUE".getBytes(StandardCharsets.UTF_8));
        assertEquals(2, DocumentParts.partOf(h));
        assertTrue(DocumentParts.isLast(h));
        for (String bad : new String[] {"-1", "two", "", "99999999999"}) {
            RecordHeaders b = new RecordHeaders();
            b.add("llm-part", bad.getBytes(StandardCharsets.UTF_8));
            assertThrows(IllegalArgumentException.class, () -> DocumentParts.partOf(b), bad);
        }
    }
}
