package dev.llmsuite.services.tokenizer;

import dev.llmsuite.records.DocumentRecord;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.header.Headers;

/**
 * Documents too big for one Kafka record (a producer's default limit is 1 MiB), sent as text parts: headers
 * {@code llm-part} (0, 1, 2, … in order) and {@code llm-last-part: true} on the last. The parts of one document share
 * its key, so they arrive on one partition, in order; they are held here, joined when the last arrives, and only
 * then tokenized and acknowledged (a restart or a rebalance before that reads them again from Kafka, because their
 * offsets were not committed). Bounds: a document's parts together are at most {@code max-document-bytes}, all open
 * documents together at most {@code max-open-part-bytes}, and an open document waits at most {@code part-timeout}
 * for its next part. A part that breaks a rule, and every part held of its document, goes to the dead-letter topic
 * with the reason.
 *
 * @param <M> what the caller acknowledges a part by (the Kafka message)
 */
final class DocumentParts<M> {
    static final String PART = "llm-part", LAST_PART = "llm-last-part";

    /** What a part led to: nothing yet, a whole document with the parts it came from, or parts refused with why. */
    sealed interface Outcome<M> {}

    record Held<M>() implements Outcome<M> {}

    record Complete<M>(DocumentRecord document, List<M> parts) implements Outcome<M> {}

    record Refused<M>(List<M> parts, String reason) implements Outcome<M> {}

    private static final class Open<M> {
        final DocumentRecord first;
        final int partition;
        /** The parts' texts as they came (the records' own bytes: held once, not copied until joined). */
        final List<byte[]> texts = new ArrayList<>();
        final List<M> parts = new ArrayList<>();
        long size;
        long lastNanos;

        Open(DocumentRecord first, int partition) {
            this.first = first;
            this.partition = partition;
        }
    }

    private final int maxDocumentBytes;
    private final long maxOpenBytes;
    private final long timeoutNanos;
    private final Map<String, Open<M>> open = new LinkedHashMap<>();
    private long openBytes;

    DocumentParts(int maxDocumentBytes, long maxOpenBytes, long timeoutNanos) {
        this.maxDocumentBytes = maxDocumentBytes;
        this.maxOpenBytes = maxOpenBytes;
        this.timeoutNanos = timeoutNanos;
    }

    /** The record's part number, or null for a whole document; IllegalArgumentException for a header that is not one. */
    static Integer partOf(Headers headers) {
        String part = DocumentShapes.header(headers, PART);
        if (part == null) return null;
        try {
            int n = Integer.parseInt(part.strip());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("header " + PART + " must be a part number 0, 1, 2, ..., got '" + part + "'");
        }
    }

    static boolean isLast(Headers headers) {
        return "true".equalsIgnoreCase(String.valueOf(DocumentShapes.header(headers, LAST_PART)).strip());
    }

    /**
     * Part {@code number} of {@code piece}'s document ({@code piece} names it and holds this part's text), read from
     * {@code partition}.
     */
    synchronized Outcome<M> offer(M message, DocumentRecord piece, int number, boolean last, int partition, long nowNanos) {
        String key = piece.key();
        Open<M> doc = open.get(key);
        int expected = doc == null ? 0 : doc.parts.size();
        if (number != expected) {
            return refuse(key, message, "part " + number + " of document " + key + " arrived where part " + expected
                    + " was due (parts go 0, 1, 2, ... in order, under one key)");
        }
        if (doc == null) {
            doc = new Open<>(piece, partition);
            open.put(key, doc);
        } else if (!doc.first.encoding().equals(piece.encoding())) {
            return refuse(key, message, "part " + number + " of document " + key + " names encoding '" + piece.encoding()
                    + "', its first part '" + doc.first.encoding() + "'");
        }
        long size = doc.size + piece.utf8Text().length;
        if (size > maxDocumentBytes) {
            return refuse(key, message, "document " + key + " is over " + maxDocumentBytes + " bytes by part " + number
                    + " (llm.tokenizer.max-document-bytes)");
        }
        if (openBytes + piece.utf8Text().length > maxOpenBytes) {
            return refuse(key, message, "documents in parts hold " + openBytes + " bytes; part " + number + " of " + key
                    + " would pass llm.tokenizer.max-open-part-bytes (" + maxOpenBytes + ")");
        }
        doc.texts.add(piece.utf8Text());
        doc.size = size;
        doc.parts.add(message);
        doc.lastNanos = nowNanos;
        openBytes += piece.utf8Text().length;
        if (!last) return new Held<>();
        close(key);
        byte[] text = new byte[(int) doc.size];
        int at = 0;
        for (byte[] t : doc.texts) {
            System.arraycopy(t, 0, text, at, t.length);
            at += t.length;
        }
        DocumentRecord whole = new DocumentRecord(doc.first.datasetId(), doc.first.documentId(), doc.first.encoding(), text);
        return new Complete<>(whole, List.copyOf(doc.parts));
    }

    /** Open documents whose next part is later than the timeout: refused, so their parts reach the dead-letter topic. */
    synchronized List<Refused<M>> expire(long nowNanos) {
        List<Refused<M>> expired = new ArrayList<>();
        for (Iterator<Map.Entry<String, Open<M>>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Open<M>> e = it.next();
            Open<M> doc = e.getValue();
            if (nowNanos - doc.lastNanos < timeoutNanos) continue;
            it.remove();
            openBytes -= doc.size;
            expired.add(new Refused<>(List.copyOf(doc.parts), "document " + e.getKey() + " is incomplete: parts 0.."
                    + (doc.parts.size() - 1) + " arrived, no " + LAST_PART + " within llm.tokenizer.part-timeout"));
        }
        return expired;
    }

    /**
     * This replica no longer reads these partitions: their open documents are dropped, neither acknowledged nor
     * refused, since their uncommitted parts go to the partitions' new reader from Kafka.
     */
    synchronized void forget(Set<Integer> partitions) {
        open.entrySet().removeIf(e -> {
            if (!partitions.contains(e.getValue().partition)) return false;
            openBytes -= e.getValue().size;
            return true;
        });
    }

    synchronized long openBytes() { return openBytes; }

    private Refused<M> refuse(String key, M message, String reason) {
        List<M> parts = new ArrayList<>();
        Open<M> doc = close(key);
        if (doc != null) parts.addAll(doc.parts);
        parts.add(message);
        return new Refused<>(parts, reason);
    }

    private Open<M> close(String key) {
        Open<M> doc = open.remove(key);
        if (doc != null) openBytes -= doc.size;
        return doc;
    }
}
