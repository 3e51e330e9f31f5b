package dev.llmsuite.engine.io.torch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pytorch_model.bin files crafted to attack the reader: code to run, lies about sizes and offsets, paths out of the
 * archive, bombs, truncations. Each is refused with an IOException naming the reason; nothing is executed, nothing
 * beyond a bounded size is allocated, no other exception or Error comes out.
 */
class TorchBinHostileFilesTest {
    @TempDir Path dir;

    /** A pickle written opcode by opcode. */
    static final class P {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        P op(int... bytes) { for (int b : bytes) out.write(b); return this; }

        P str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X').u32(b.length);
            out.writeBytes(b);
            return this;
        }

        P u32(long v) { out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array()); return this; }

        P global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        P integer(long v) {
            if (v == (int) v) return op('J').u32(v);
            op(0x8a, 8);
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
            return this;
        }

        /** {"w": <tensor over storage key, dtype, elements, offset, size, stride>} */
        P stateDictWith(String key, String storage, long elements, long offset, long[] size, long[] stride) {
            op(0x80, 2, '}', '(').str("w");
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').str("storage").global("torch", storage).str(key).str("cpu").integer(elements).op('t', 'Q');
            integer(offset).op('(');
            for (long s : size) integer(s);
            op('t', '(');
            for (long s : stride) integer(s);
            op('t', 0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R');
            return op('u', '.');
        }

        byte[] bytes() { return out.toByteArray(); }
    }

    Path zip(Map<String, byte[]> entries) throws IOException {
        Path f = Files.createTempFile(dir, "hostile", ".bin");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return f;
    }

    Path withPickle(byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pickle);
        storages.forEach((k, v) -> entries.put("archive/data/" + k, v));
        return zip(entries);
    }

    static void refused(Path file, String reason) {
        IOException e = assertThrows(IOException.class, () -> {
            try (TorchCheckpointFile f = TorchCheckpointFile.open(file)) {
                for (String name : f.shapes().keySet()) f.floats(name);
            }
        }, reason);
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    @Test
    void codeIsNeverRun() throws IOException {
        Path marker = dir.resolve("ran");
        byte[] system = new P().op(0x80, 2).global("os", "system").str("touch " + marker).op(0x85, 'R', '.').bytes();
        refused(withPickle(system, Map.of()), "global os.system is not allowed");
        byte[] eval = new P().op(0x80, 4).str("builtins").str("eval").op(0x93).str("1").op(0x85, 'R', '.').bytes();
        refused(withPickle(eval, Map.of()), "global builtins.eval is not allowed");
        refused(withPickle(new P().op(0x80, 2).global("torch", "load").op(')', 'R', '.').bytes(), Map.of()), "global torch.load is not allowed");
        refused(withPickle(new P().op(0x80, 2).global("collections", "OrderedDict").op(')', 0x81, '.').bytes(), Map.of()), "opcode 0x81");
        refused(withPickle(new P().op(0x80, 2, '(').str("os").op('i').bytes(), Map.of()), "opcode 0x69");
        refused(withPickle(new P().op(0x80, 2, 0x82, 1, '.').bytes(), Map.of()), "opcode 0x82");
        refused(withPickle(new P().op(0x80, 2).global("torch", "FloatStorage").op(')', 'R', '.').bytes(), Map.of()), "calling torch.FloatStorage is not allowed");
        assertTrue(Files.notExists(marker));
    }

    @Test
    void malformedPickles() throws IOException {
        refused(withPickle(new P().op(0x80, 2, 'X').u32(Integer.MAX_VALUE).bytes(), Map.of()), "needs 2147483647 bytes");
        refused(withPickle(new P().op(0x80, 2, 'j').u32(7).op('.').bytes(), Map.of()), "memo 7 was never stored");
        refused(withPickle(new P().op(0x80, 2, 't').bytes(), Map.of()), "no MARK");
        refused(withPickle(new P().op(0x80, 2, 'R').bytes(), Map.of()), "stack underflow");
        refused(withPickle(new P().op(0x80, 2, '}', ']', 'N', 's', '.').bytes(), Map.of()), "a dict key that is ArrayList");
        refused(withPickle(new P().op(0x80, 2, 0x8a, 200).bytes(), Map.of()), "an integer of 200 bytes");
        refused(withPickle(new P().op(0x80, 2, '}', '.', '.').bytes(), Map.of()), "holds no dict of tensors");
        refused(withPickle(new P().op(0x80, 2, 'N', 'N', '.').bytes(), Map.of()), "STOP with 2 values");
        // a list that holds itself: no hashing, no printing, no recursion: refused for what it is
        refused(withPickle(new P().op(0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.').bytes(), Map.of()), "holds no dict of tensors");
        refused(withPickle(new P().op(0x80, 2).global("os\u0000", "x").bytes(), Map.of()), "not allowed");
    }

    @Test
    void tensorsThatLieAboutTheirStorage() throws IOException {
        byte[] sixteen = new byte[16 * 4];
        refused(withPickle(new P().stateDictWith("0", "FloatStorage", 16, 10, new long[] {4, 4}, new long[] {4, 1}).bytes(),
                Map.of("0", sixteen)), "outside its storage");
        refused(withPickle(new P().stateDictWith("0", "FloatStorage", 16, 0, new long[] {4, 4}, new long[] {1, 4}).bytes(),
                Map.of("0", sixteen)), "non-contiguous");
        refused(withPickle(new P().stateDictWith("0", "FloatStorage", 16, 0, new long[] {-4, 4}, new long[] {4, 1}).bytes(),
                Map.of("0", sixteen)), "not a count");
        refused(withPickle(new P().stateDictWith("0", "FloatStorage", 16, 0, new long[] {1L << 31, 1L << 31, 1L << 31}, new long[] {1L << 62, 1L << 31, 1}).bytes(),
                Map.of("0", sixteen)), "overflow");
        refused(withPickle(new P().stateDictWith("0", "FloatStorage", 1L << 40, 0, new long[] {4}, new long[] {1}).bytes(),
                Map.of("0", sixteen)), "claims 4398046511104 bytes, its entry holds 64");
        refused(withPickle(new P().stateDictWith("0", "FloatStorage", 16, 0, new long[] {4}, new long[] {1}).bytes(), Map.of()), "has no entry");
        refused(withPickle(new P().stateDictWith("../../../etc/passwd", "FloatStorage", 16, 0, new long[] {4}, new long[] {1}).bytes(),
                Map.of("0", sixteen)), "not a plain name");
        refused(withPickle(new P().stateDictWith("0", "PickleStorage", 16, 0, new long[] {4}, new long[] {1}).bytes(),
                Map.of("0", sixteen)), "not allowed");
        refused(withPickle(new P().stateDictWith("0", "LongStorage", 2, 0, new long[] {2}, new long[] {1}).bytes(),
                Map.of("0", sixteen)), "is long, not a float tensor");
    }

    @Test
    void archivesThatAreNotTorchSaves() throws IOException {
        refused(zip(Map.of("notes.txt", new byte[10])), "without ARCHIVE/data.pkl");
        refused(zip(Map.of("a/data.pkl", new P().op(0x80, 2, '}', '.').bytes(), "b/data.pkl", new byte[1])), "two data.pkl");
        // a compressed data.pkl that inflates past the bound: read no further than the bound
        refused(zip(Map.of("a/data.pkl", new byte[(int) TorchCheckpointFile.MAX_PICKLE_BYTES + 10])), "is over");
        Path text = Files.writeString(dir.resolve("x.bin"), "not a checkpoint");
        refused(text, "not a PyTorch checkpoint");
        Path fake = Files.write(dir.resolve("y.bin"), new byte[] {'P', 'K', 3, 4, 1, 2, 3});
        refused(fake, "y.bin");
    }

    @Test
    void everyTruncationOfARealFileIsRefused() throws Exception {
        for (String layout : new String[] {"zip", "legacy"}) {
            byte[] real = Files.readAllBytes(Path.of(getClass().getResource("/fixtures/torch-bin/" + layout + "/pytorch_model.bin").toURI()));
            for (int n = 0; n < real.length; n += n < 4096 ? 13 : 1499) {
                Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(real, n));
                assertThrows(IOException.class, () -> {
                    try (TorchCheckpointFile f = TorchCheckpointFile.open(cut)) {
                        for (String name : f.shapes().keySet()) f.floats(name);
                    }
                }, layout + " cut at " + n);
            }
        }
    }
}
