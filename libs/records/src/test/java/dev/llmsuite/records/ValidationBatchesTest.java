package dev.llmsuite.records;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationBatchesTest {
    private static TrainingBatch batch(long index) {
        int[] ids = new int[6];
        Arrays.fill(ids, (int) index + 1);
        return new TrainingBatch("d", Split.VALIDATION, 0, index, "v", 1, 2, 3, ids, ids);
    }

    @Test
    void roundTrips(@TempDir Path dir) throws IOException {
        Path f = dir.resolve(ValidationBatches.FILE);
        ValidationBatches.write(f, List.of(batch(0), batch(1)));
        List<TrainingBatch> back = ValidationBatches.read(f);
        assertEquals(2, back.size());
        assertArrayEquals(batch(1).inputs(), back.get(1).inputs());
        ValidationBatches.write(f, List.of());
        assertEquals(List.of(), ValidationBatches.read(f));
    }

    @Test
    void hostileFilesAreRefusedWithoutAllocatingBeyondTheirSize(@TempDir Path dir) throws IOException {
        Path f = dir.resolve(ValidationBatches.FILE);
        ValidationBatches.write(f, List.of(batch(0)));
        byte[] good = Files.readAllBytes(f);

        assertRefused(f, new byte[0], "not a validation-batches file");
        assertRefused(f, "not it at all".getBytes(), "not a validation-batches file");
        assertRefused(f, withInt(good, 4, Integer.MAX_VALUE), "does not fit");          // a count beyond the file
        assertRefused(f, withInt(good, 4, -1), "does not fit");
        assertRefused(f, withInt(good, 8, Integer.MAX_VALUE), "claims");                 // a batch longer than what is left
        assertRefused(f, Arrays.copyOf(good, good.length - 3), "claims");                // cut short
        assertRefused(f, Arrays.copyOf(good, good.length + 5), "after the last batch");  // trailing bytes
        byte[] flipped = good.clone();
        flipped[12] ^= 0x7f;                                                             // a damaged record
        assertRefused(f, flipped, "batch 0");
    }

    private static byte[] withInt(byte[] bytes, int at, int value) {
        byte[] out = bytes.clone();
        ByteBuffer.wrap(out).putInt(at, value);
        return out;
    }

    private static void assertRefused(Path f, byte[] content, String reason) throws IOException {
        Files.write(f, content);
        IOException e = assertThrows(IOException.class, () -> ValidationBatches.read(f));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
