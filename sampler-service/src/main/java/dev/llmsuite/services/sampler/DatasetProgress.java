package dev.llmsuite.services.sampler;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One dataset's entry in the {@code sampler-datasets} store: its spec, where its sampling stands, and
 * what it has counted. Everything else of the dataset (open documents, held windows, dedup state, the
 * accepted documents for later epochs) lies in the other stores ({@link SamplerStores}) under its name.
 * Mutable: a {@link DatasetSampler} changes it while it handles a record and writes it back after.
 */
final class DatasetProgress {
    enum Phase { WAITING_FOR_TOKENS, SAMPLING, DONE, FAILED }

    private static final int FORMAT = 1;

    SamplingSpec spec;
    Phase phase;
    /** Why a failed dataset failed. */
    String reason;
    String vocabularyHash;
    int epoch;
    /** The shuffle's generator ({@link ShuffleRandom#state}) and how many windows it holds. */
    long shuffleState;
    int shuffleHeld;
    /** Windows waiting in the batch being filled, per split; the index the next batch of the epoch gets. */
    int trainPending;
    int validationPending;
    long trainIndex;
    long validationIndex;
    WindowStream.State stream;
    long openTokens;
    int openDocuments;
    /** Documents accepted so far (the stream store's length), and the next one a later epoch reads. */
    long acceptedDocuments;
    long replayNext;
    /** Hashes and signatures the dedup state remembers. */
    long dedupHashes;
    long dedupSignatures;
    long windows;
    long trainBatches;
    long validationBatches;
    long documents;
    long exactDuplicates;
    long nearDuplicates;
    long documentsSeenAgain;
    long tokens;

    /** A dataset not seen before: the spec, nothing sampled. */
    static DatasetProgress start(SamplingSpec spec, Phase phase) {
        DatasetProgress p = new DatasetProgress();
        p.spec = spec;
        p.phase = phase;
        p.startEpoch(0);
        return p;
    }

    /** A dataset that cannot be sampled, and why. */
    static DatasetProgress failed(SamplingSpec spec, String reason) {
        DatasetProgress p = start(spec, Phase.FAILED);
        p.reason = reason;
        return p;
    }

    /** A new epoch: a new stream and shuffle seed, the batch indices from 0, the accepted documents read from the first. */
    void startEpoch(int e) {
        epoch = e;
        stream = new WindowStream.State(new int[0], 0, 0, 0, new long[0]);
        shuffleState = spec == null ? 0 : ShuffleRandom.seeded(spec.seed() * 1_000_003L + e).state();
        shuffleHeld = 0;
        trainPending = validationPending = 0;
        trainIndex = validationIndex = 0;
        replayNext = 0;
    }

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + stream.tail().length * 4);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(FORMAT);
            out.writeBoolean(spec != null);
            if (spec != null) {
                out.writeInt(spec.maxLength());
                out.writeInt(spec.stride());
                out.writeInt(spec.batchSize());
                out.writeDouble(spec.trainFraction());
                out.writeLong(spec.seed());
                out.writeInt(spec.epochs());
                out.writeInt(spec.shuffleBuffer());
                out.writeBoolean(spec.dropLast());
                out.writeBoolean(spec.dedup());
                out.writeBoolean(spec.pack());
            }
            out.writeByte(phase.ordinal());
            writeString(out, reason);
            writeString(out, vocabularyHash);
            out.writeInt(epoch);
            out.writeLong(shuffleState);
            out.writeInt(shuffleHeld);
            out.writeInt(trainPending);
            out.writeInt(validationPending);
            out.writeLong(trainIndex);
            out.writeLong(validationIndex);
            out.writeInt(stream.tail().length);
            for (int id : stream.tail()) out.writeInt(id);
            out.writeLong(stream.skip());
            out.writeLong(stream.windowsMade());
            out.writeLong(stream.total());
            out.writeInt(stream.documentStarts().length);
            for (long s : stream.documentStarts()) out.writeLong(s);
            out.writeLong(openTokens);
            out.writeInt(openDocuments);
            for (long v : new long[] {acceptedDocuments, replayNext, dedupHashes, dedupSignatures, windows, trainBatches,
                    validationBatches, documents, exactDuplicates, nearDuplicates, documentsSeenAgain, tokens}) {
                out.writeLong(v);
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DatasetProgress decode(byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            if (in.readInt() != FORMAT) throw new IllegalArgumentException("a dataset progress of an unknown format");
            DatasetProgress p = new DatasetProgress();
            if (in.readBoolean()) {
                p.spec = new SamplingSpec(in.readInt(), in.readInt(), in.readInt(), in.readDouble(), in.readLong(), in.readInt(),
                        in.readInt(), in.readBoolean(), in.readBoolean(), in.readBoolean());
            }
            p.phase = Phase.values()[in.readByte()];
            p.reason = readString(in);
            p.vocabularyHash = readString(in);
            p.epoch = in.readInt();
            p.shuffleState = in.readLong();
            p.shuffleHeld = in.readInt();
            p.trainPending = in.readInt();
            p.validationPending = in.readInt();
            p.trainIndex = in.readLong();
            p.validationIndex = in.readLong();
            int[] tail = new int[in.readInt()];
            for (int i = 0; i < tail.length; i++) tail[i] = in.readInt();
            long skip = in.readLong(), windowsMade = in.readLong(), total = in.readLong();
            long[] starts = new long[in.readInt()];
            for (int i = 0; i < starts.length; i++) starts[i] = in.readLong();
            p.stream = new WindowStream.State(tail, skip, windowsMade, total, starts);
            p.openTokens = in.readLong();
            p.openDocuments = in.readInt();
            p.acceptedDocuments = in.readLong();
            p.replayNext = in.readLong();
            p.dedupHashes = in.readLong();
            p.dedupSignatures = in.readLong();
            p.windows = in.readLong();
            p.trainBatches = in.readLong();
            p.validationBatches = in.readLong();
            p.documents = in.readLong();
            p.exactDuplicates = in.readLong();
            p.nearDuplicates = in.readLong();
            p.documentsSeenAgain = in.readLong();
            p.tokens = in.readLong();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) out.writeUTF(s.length() > 8000 ? s.substring(0, 8000) : s);
    }

    private static String readString(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
