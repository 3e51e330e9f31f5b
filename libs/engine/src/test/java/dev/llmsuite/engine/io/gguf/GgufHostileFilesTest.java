package dev.llmsuite.engine.io.gguf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files crafted to hurt the reader: each is refused with an IOException that says why, before anything the size of
 * a claimed count is allocated; nothing else (no other exception, no OutOfMemoryError) comes out.
 */
class GgufHostileFilesTest {
    @TempDir static Path dir;
    static CpuBackend backend;
    static byte[] valid;

    @BeforeAll
    static void validFile() throws Exception {
        backend = new CpuBackend(1);
        try (GptModel m = new GptModel(backend, new GptConfig(64, 16, 32, 2, 2, 0.0, true, true))) {
            m.initialize(1);
            GgufCheckpoint.save(m, "valid", GgmlType.Q8_0, GgufCheckpointTest.vocabulary(64), dir.resolve("valid.gguf"));
        }
        valid = Files.readAllBytes(dir.resolve("valid.gguf"));
    }

    @AfterAll
    static void close() { backend.close(); }

    /** Loads bytes as a model: must fail with an IOException whose message has the reason. */
    static void refused(byte[] bytes, String reason) throws IOException {
        Path f = Files.createTempFile(dir, "hostile", ".gguf");
        Files.write(f, bytes);
        IOException e = assertThrows(IOException.class, () -> {
            try (GptModel m = GgufCheckpoint.load(backend, f)) {
                // loaded: the assertion fails
            }
        }, reason);
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    /** A GGUF header written field by field, so that any field can lie. */
    static final class Header {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Header u32(long v) { return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v)); }

        Header u64(long v) { return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v)); }

        Header str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
            return this;
        }

        Header bytes(byte... b) { out.writeBytes(b); return this; }

        private Header put(ByteBuffer b) { out.writeBytes(b.array()); return this; }

        static Header start(long tensors, long kvs) { return new Header().bytes((byte) 'G', (byte) 'G', (byte) 'U', (byte) 'F').u32(3).u64(tensors).u64(kvs); }

        byte[] padded(int total) { return Arrays.copyOf(out.toByteArray(), Math.max(total, out.size())); }
    }

    @Test
    void notGguf() throws IOException {
        refused(new byte[0], "needs 4 more bytes");
        refused("GGU".getBytes(StandardCharsets.US_ASCII), "needs 4 more bytes");
        refused("PK\u0003\u0004 a zip, not a gguf".getBytes(StandardCharsets.ISO_8859_1), "no 'GGUF' magic");
        refused(new Header().bytes((byte) 'G', (byte) 'G', (byte) 'U', (byte) 'F').u32(1).u64(0).u64(0).padded(64), "version 1");
        refused(new Header().bytes((byte) 'G', (byte) 'G', (byte) 'U', (byte) 'F').u32(4).u64(0).u64(0).padded(64), "version 4");
    }

    @Test
    void countsBeyondTheFile() throws IOException {
        refused(Header.start(0, Long.MAX_VALUE).padded(64), "metadata entries, more than the file can hold");
        refused(Header.start(-1, 0).padded(64), "tensors, more than the file can hold");
        refused(Header.start(1L << 40, 0).padded(64), "tensors, more than the file can hold");
        refused(Header.start(0, 1).u64(1L << 40).padded(64), "runs past the file's end");
        refused(Header.start(0, 1).u64(-5).padded(64), "runs past the file's end");
        refused(Header.start(0, 1).u64(GgufFile.MAX_STRING_BYTES + 1).padded((int) GgufFile.MAX_STRING_BYTES + 64), "is over");
        refused(Header.start(0, 1).str("k").u32(9).u32(8).u64(Integer.MAX_VALUE).padded(256), "more than the file can hold");
        refused(Header.start(0, 1).str("k").u32(9).u32(6).u64(1L << 61).padded(256), "more than the file can hold");
    }

    @Test
    void malformedValues() throws IOException {
        refused(Header.start(0, 1).str("k").u32(99).padded(64), "unknown value type 99");
        refused(Header.start(0, 1).str("k").u32(9).u32(9).u64(1).padded(64), "array of arrays");
        refused(Header.start(0, 1).str("k").u32(7).bytes((byte) 2).padded(64), "a boolean is 2");
        refused(Header.start(0, 1).u64(2).bytes((byte) 0xC3, (byte) 0x28).u32(4).u32(1).padded(64), "not UTF-8");
        refused(Header.start(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).padded(64), "appears twice");
        refused(Header.start(0, 1).str("general.alignment").u32(4).u32(3).padded(64), "power of two");
        refused(Header.start(0, 1).str("general.alignment").u32(4).u32(0).padded(64), "power of two");
    }

    @Test
    void tensorRecordsThatLie() throws IOException {
        refused(Header.start(1, 0).str("t").u32(0).padded(256), "0 dimensions");
        refused(Header.start(1, 0).str("t").u32(5).padded(256), "5 dimensions");
        refused(Header.start(1, 0).str("t").u32(2).u64(1L << 40).u64(1L << 40).u32(0).u64(0).padded(256), "more elements than the file can hold");
        refused(Header.start(1, 0).str("t").u32(1).u64(0).u32(0).u64(0).padded(256), "a dimension of 0");
        refused(Header.start(1, 0).str("t").u32(1).u64(16).u32(0).u64(1 << 20).padded(256), "run past the file's end");
        refused(Header.start(1, 0).str("t").u32(1).u64(16).u32(0).u64(8).padded(256), "not a multiple of 32");
        refused(Header.start(1, 0).str("t").u32(1).u64(48).u32(8).u64(0).padded(256), "not whole q8_0 blocks");
        refused(Header.start(2, 0).str("t").u32(1).u64(8).u32(0).u64(0).str("t").u32(1).u64(8).u32(0).u64(32).padded(512), "appears twice");
    }

    @Test
    void everyTruncationOfAValidFileIsRefused() throws IOException {
        for (int n = 0; n < valid.length; n += n < 4096 ? 7 : 997) {
            Path f = dir.resolve("cut.gguf");
            Files.write(f, Arrays.copyOf(valid, n));
            assertThrows(IOException.class, () -> GgufCheckpoint.load(backend, f).close(), "cut at " + n);
        }
    }

    @Test
    void modelsThatAreNotTheEnginesGpt2() throws Exception {
        refused(rewritten(Map.of("general.architecture", GgufValue.string("llama"))), "architecture 'llama'");
        refused(rewritten(Map.of("gpt2.block_count", GgufValue.uint32(1_000_000_000))), "1000000000 blocks claimed");
        refused(rewritten(Map.of("gpt2.context_length", GgufValue.uint32(1 << 20))), "position_embd.weight has shape");
        refused(rewritten(Map.of("gpt2.attention.head_count", GgufValue.uint32(5))), "head");
        refused(rewritten(Map.of("gpt2.feed_forward_length", GgufValue.uint32(100))), "feed_forward_length 100");
        refused(rewritten(Map.of("gpt2.attention.layer_norm_epsilon", GgufValue.float32(1e-6))), "layer_norm_epsilon");
        refused(rewritten(Map.of("gpt2.embedding_length", GgufValue.string("768"))), "must be an integer");
    }

    @Test
    void aTypeThisSuiteDoesNotDecodeIsNamed() throws Exception {
        byte[] bytes = Header.start(1, 0).str("t").u32(1).u64(256).u32(2).u64(0).padded(512); // Q4_0
        Path f = dir.resolve("q4_0.gguf");
        Files.write(f, bytes);
        try (GgufFile g = GgufFile.open(f)) {
            IOException e = assertThrows(IOException.class, () -> g.floats("t"));
            assertTrue(e.getMessage().contains("ggml type 2"), e.getMessage());
        }
    }

    /** The valid file with some metadata values replaced (tensors and their data as they were). */
    static byte[] rewritten(Map<String, GgufValue> changes) throws IOException {
        Path f = dir.resolve("valid.gguf");
        try (GgufFile g = GgufFile.open(f)) {
            Map<String, GgufValue> meta = new LinkedHashMap<>(g.metadata());
            meta.putAll(changes);
            List<GgufWriter.Tensor> tensors = new ArrayList<>();
            for (GgufFile.TensorInfo t : g.tensors().values()) tensors.add(new GgufWriter.Tensor(t.name(), t.dims(), t.type(), g.floats(t.name())));
            Path out = Files.createTempFile(dir, "rewritten", ".gguf");
            GgufWriter.write(out, meta, tensors);
            return Files.readAllBytes(out);
        }
    }
}
