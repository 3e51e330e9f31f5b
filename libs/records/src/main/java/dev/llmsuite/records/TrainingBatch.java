package dev.llmsuite.records;

import java.util.Objects;

/**
 * B windows of T tokens, on {@link Topics#TRAIN_BATCHES} or {@link Topics#VAL_BATCHES}.
 * {@code inputs} and {@code targets} are [B, T] row-major; a target of {@link #IGNORE_INDEX} is not scored.
 * {@code documentStarts}, when the sampler packs documents, is [B, T] too: for each token, the position
 * in its window where its document begins, so attention can stay within the document (null: plain causal).
 */
public record TrainingBatch(String datasetId, Split split, int epoch, long batchIndex, String vocabularyHash,
                            long seed, int batchSize, int contextLength, int[] inputs, int[] targets, int[] documentStarts) {
    static final byte KIND = 3;
    public static final int IGNORE_INDEX = -100;

    public TrainingBatch {
        Objects.requireNonNull(datasetId, "datasetId");
        Objects.requireNonNull(split, "split");
        Objects.requireNonNull(vocabularyHash, "vocabularyHash");
        if (batchSize <= 0 || contextLength <= 0) throw new IllegalArgumentException("empty batch shape");
        long n = (long) batchSize * contextLength;
        if (inputs.length != n || targets.length != n) {
            throw new IllegalArgumentException("inputs/targets must hold B*T = " + n + " ids");
        }
        if (documentStarts != null) {
            if (documentStarts.length != n) throw new IllegalArgumentException("documentStarts must hold B*T = " + n + " positions");
            for (int i = 0; i < n; i++) {
                int s = documentStarts[i];
                if (s < 0 || s > i % contextLength) {
                    throw new IllegalArgumentException("documentStarts[" + i + "] = " + s + " is not a position at or before the token's");
                }
            }
        }
    }

    /** A batch of plain causal windows (no document boundaries inside). */
    public TrainingBatch(String datasetId, Split split, int epoch, long batchIndex, String vocabularyHash,
                         long seed, int batchSize, int contextLength, int[] inputs, int[] targets) {
        this(datasetId, split, epoch, batchIndex, vocabularyHash, seed, batchSize, contextLength, inputs, targets, null);
    }

    public String key() { return datasetId; }

    public int tokens() { return batchSize * contextLength; }

    public byte[] encode() {
        return new RecordWriter(KIND, inputs.length * 6 + 96)
                .string(datasetId).u8(split.ordinal()).i32(epoch).i64(batchIndex).string(vocabularyHash)
                .i64(seed).i32(batchSize).i32(contextLength).ids(inputs).signedIds(targets)
                .u8(documentStarts == null ? 0 : 1).ids(documentStarts == null ? new int[0] : documentStarts).toBytes();
    }

    public static TrainingBatch decode(byte[] bytes) {
        RecordReader r = new RecordReader(bytes, KIND, "training batch");
        String dataset = r.string();
        int splitOrdinal = r.u8();
        if (splitOrdinal < 0 || splitOrdinal >= Split.values().length) {
            throw new MalformedRecordException("training batch: bad split " + splitOrdinal);
        }
        int epoch = r.i32();
        long index = r.i64();
        String hash = r.string();
        long seed = r.i64();
        int b = r.i32();
        int t = r.i32();
        int[] inputs = r.ids();
        int[] targets = r.signedIds();
        boolean packed = r.u8() == 1;
        int[] starts = r.ids();
        r.end();
        if (b <= 0 || t <= 0 || inputs.length != (long) b * t || targets.length != (long) b * t) {
            throw new MalformedRecordException("training batch: shape [" + b + ", " + t + "] does not match "
                    + inputs.length + " inputs / " + targets.length + " targets");
        }
        try {
            return new TrainingBatch(dataset, Split.values()[splitOrdinal], epoch, index, hash, seed, b, t, inputs, targets,
                    packed ? starts : null);
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException("training batch: " + e.getMessage());
        }
    }
}
