package dev.llmsuite.records;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The held-out batches a checkpoint is evaluated on, in the checkpoint directory beside the weights
 * ({@value #FILE}): a count, then each {@link TrainingBatch} as its length and its record bytes. Whoever evaluates
 * the checkpoint later (trainer-service's evaluator, on any replica) scores it on exactly what the job held out.
 * The reader trusts nothing: counts and lengths are checked against the file's size before anything is allocated.
 */
public final class ValidationBatches {
    public static final String FILE = "validation-batches.bin";
    private static final int MAGIC = 0x4c4c4d56; // "LLMV"

    private ValidationBatches() {}

    public static void write(Path file, List<TrainingBatch> batches) throws IOException {
        try (OutputStream out = Files.newOutputStream(file); DataOutputStream data = new DataOutputStream(out)) {
            data.writeInt(MAGIC);
            data.writeInt(batches.size());
            for (TrainingBatch b : batches) {
                byte[] bytes = b.encode();
                data.writeInt(bytes.length);
                data.write(bytes);
            }
        }
    }

    /** The batches, or IOException saying why the file is not a valid one (nothing over its size is allocated). */
    public static List<TrainingBatch> read(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(in)) {
            if (size < 8 || data.readInt() != MAGIC) throw new IOException(FILE + " is not a validation-batches file");
            int count = data.readInt();
            long left = size - 8;
            if (count < 0 || count > left / 4) throw new IOException(FILE + ": count " + count + " does not fit its " + size + " bytes");
            List<TrainingBatch> batches = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int length = data.readInt();
                left -= 4;
                if (length < 0 || length > left) throw new IOException(FILE + ": batch " + i + " claims " + length + " bytes; " + left + " are left");
                byte[] bytes = data.readNBytes(length);
                left -= length;
                try {
                    batches.add(TrainingBatch.decode(bytes));
                } catch (MalformedRecordException | IllegalArgumentException e) {
                    throw new IOException(FILE + ": batch " + i + ": " + e.getMessage());
                }
            }
            if (left != 0) throw new IOException(FILE + ": " + left + " bytes after the last batch");
            return batches;
        } catch (EOFException e) {
            throw new IOException(FILE + " ends early");
        }
    }
}
