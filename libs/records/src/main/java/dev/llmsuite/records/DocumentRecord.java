package dev.llmsuite.records;

import java.util.Objects;

/**
 * A document to tokenize with a named vocabulary ({@code encoding}, e.g. "gpt2"), on
 * {@link Topics#DOCUMENTS}. The text stays raw bytes so that the tokenizer, not the transport, decides
 * what invalid UTF-8 means (it goes to the dead-letter topic).
 */
public record DocumentRecord(String datasetId, String documentId, String encoding, byte[] utf8Text) {
    static final byte KIND = 1;

    public DocumentRecord {
        Objects.requireNonNull(datasetId, "datasetId");
        Objects.requireNonNull(documentId, "documentId");
        Objects.requireNonNull(encoding, "encoding");
        Objects.requireNonNull(utf8Text, "utf8Text");
    }

    /** The Kafka key: one document's records share it, so they share a partition and stay in order. */
    public String key() { return datasetId + "/" + documentId; }

    public byte[] encode() {
        return new RecordWriter(KIND, utf8Text.length + 64)
                .string(datasetId).string(documentId).string(encoding).bytes(utf8Text).toBytes();
    }

    public static DocumentRecord decode(byte[] bytes) {
        RecordReader r = new RecordReader(bytes, KIND, "document");
        String dataset = r.string();
        String doc = r.string();
        String encoding = r.string();
        byte[] text = r.bytes(r.i32());
        r.end();
        return new DocumentRecord(dataset, doc, encoding, text);
    }
}
