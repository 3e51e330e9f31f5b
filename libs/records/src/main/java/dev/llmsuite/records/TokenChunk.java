package dev.llmsuite.records;

import java.util.Objects;

/**
 * A run of token ids from one document, on {@link Topics#TOKENS}. A long document becomes several chunks
 * numbered from 0 by {@code sequence}; the one with {@code last} set ends the document (and, for GPT-2,
 * carries the {@code <|endoftext|>} separator). {@code vocabularyHash} names the vocabulary exactly.
 */
public record TokenChunk(String datasetId, String documentId, int sequence, boolean last,
                         String vocabularyHash, int[] ids) {
    static final byte KIND = 2;

    public TokenChunk {
        Objects.requireNonNull(datasetId, "datasetId");
        Objects.requireNonNull(documentId, "documentId");
        Objects.requireNonNull(vocabularyHash, "vocabularyHash");
        Objects.requireNonNull(ids, "ids");
        if (sequence < 0) throw new IllegalArgumentException("sequence < 0");
    }

    /** The dataset: its chunks stay on one partition, so with one sampler task, in the order they were sent. */
    public String key() { return datasetId; }

    public byte[] encode() {
        return new RecordWriter(KIND, ids.length * 2 + 96)
                .string(datasetId).string(documentId).i32(sequence).u8(last ? 1 : 0)
                .string(vocabularyHash).ids(ids).toBytes();
    }

    public static TokenChunk decode(byte[] bytes) {
        RecordReader r = new RecordReader(bytes, KIND, "token chunk");
        String dataset = r.string();
        String doc = r.string();
        int seq = r.i32();
        boolean last = r.u8() != 0;
        String hash = r.string();
        int[] ids = r.ids();
        r.end();
        if (seq < 0) throw new MalformedRecordException("token chunk: negative sequence " + seq);
        return new TokenChunk(dataset, doc, seq, last, hash, ids);
    }
}
