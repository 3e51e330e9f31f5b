package dev.llmsuite.records;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordCodecTest {

    @Test
    void documentRoundTripsIncludingInvalidUtf8() {
        byte[] raw = {'h', 'i', (byte) 0xC3}; // a truncated two-byte sequence survives transport untouched
        DocumentRecord d = DocumentRecord.decode(new DocumentRecord("ds", "doc-1", "gpt2", raw).encode());
        assertEquals("ds", d.datasetId());
        assertEquals("doc-1", d.documentId());
        assertEquals("gpt2", d.encoding());
        assertArrayEquals(raw, d.utf8Text());
    }

    @Test
    void tokenChunkPacksSmallIdsInTwoBytesAndLargeInFour() {
        int[] small = {0, 1, 50256, 65535};
        int[] large = {0, 65536, 200_000};
        TokenChunk a = new TokenChunk("ds", "d", 3, true, "abc", small);
        TokenChunk b = new TokenChunk("ds", "d", 0, false, "abc", large);
        assertArrayEquals(small, TokenChunk.decode(a.encode()).ids());
        assertArrayEquals(large, TokenChunk.decode(b.encode()).ids());
        assertTrue(a.encode().length < b.encode().length + 4, "2-byte packing for GPT-2 ids");
        TokenChunk back = TokenChunk.decode(a.encode());
        assertEquals(3, back.sequence());
        assertTrue(back.last());
        assertEquals("abc", back.vocabularyHash());
    }

    @Test
    void batchRoundTripsWithIgnoreIndexTargets() {
        int[] in = {1, 2, 3, 4, 5, 6};
        int[] tg = {2, 3, -100, 5, 6, 7};
        TrainingBatch b = new TrainingBatch("ds", Split.VALIDATION, 2, 41, "h", 123, 2, 3, in, tg);
        TrainingBatch back = TrainingBatch.decode(b.encode());
        assertEquals(Split.VALIDATION, back.split());
        assertEquals(41, back.batchIndex());
        assertEquals(2, back.epoch());
        assertEquals(123, back.seed());
        assertArrayEquals(in, back.inputs());
        assertArrayEquals(tg, back.targets());
    }

    @Test
    void everyTruncationIsRejectedWithAClearMessage() {
        byte[] full = new TokenChunk("dataset", "doc", 0, true, "hash", new int[] {1, 2, 3}).encode();
        for (int n = 0; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            var e = assertThrows(MalformedRecordException.class, () -> TokenChunk.decode(cut), "length " + n);
            assertTrue(e.getMessage().startsWith("token chunk: "), e.getMessage());
        }
    }

    @Test
    void foreignBytesAndWrongKindsAreRejected() {
        var e = assertThrows(MalformedRecordException.class,
                () -> TokenChunk.decode("{\"json\":true}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("bad magic"));
        byte[] doc = new DocumentRecord("a", "b", "gpt2", new byte[0]).encode();
        var e2 = assertThrows(MalformedRecordException.class, () -> TokenChunk.decode(doc));
        assertTrue(e2.getMessage().contains("kind"));
        byte[] trailing = Arrays.copyOf(doc, doc.length + 1);
        assertThrows(MalformedRecordException.class, () -> DocumentRecord.decode(trailing));
    }

    @Test
    void batchShapeMustMatchItsIds() {
        assertThrows(IllegalArgumentException.class,
                () -> new TrainingBatch("ds", Split.TRAIN, 0, 0, "h", 0, 2, 3, new int[5], new int[6]));
    }

    @Test
    void aFileHashesInPiecesAsItsBytesHashWhole(@TempDir Path dir) throws Exception {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                CheckpointAnnouncement.sha256("abc".getBytes(StandardCharsets.US_ASCII)), "FIPS 180-2's example");
        byte[] bytes = new byte[(5 << 19) + 7]; // 2.5 MiB and a ragged end: three pieces
        new Random(4).nextBytes(bytes);
        Path file = dir.resolve("model.safetensors");
        Files.write(file, bytes);
        assertEquals(CheckpointAnnouncement.sha256(bytes), CheckpointAnnouncement.sha256(file));
    }
}
