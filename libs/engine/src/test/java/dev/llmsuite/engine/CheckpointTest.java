package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.Safetensors;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @Test
    void aCheckpointWrittenAndReadBackIsBitIdentical(@TempDir Path dir) throws Exception {
        for (GptConfig c : new GptConfig[] {GptConfig.TINY, GptConfig.TINY.withTiedOutputHead(true).withQkvBias(false)}) {
            try (CpuBackend be = new CpuBackend(2)) {
                GptModel model = new GptModel(be, c);
                model.initialize(3);
                Path d = dir.resolve("m" + c.hashCode());
                HfCheckpoint.save(model, d);
                GptModel back = HfCheckpoint.load(be, d);
                assertEquals(c, back.config());
                float[] a = new float[(int) model.layout().totalSize()], b = new float[a.length];
                be.read(model.parameters(), 0, a, 0, a.length);
                be.read(back.parameters(), 0, b, 0, b.length);
                assertArrayEquals(a, b);
                try (Safetensors.Reader r = Safetensors.open(d.resolve(HfCheckpoint.WEIGHTS))) {
                    // Conv1D layout on disk: c_attn is [in, out] = [C, 3C]
                    assertArrayEquals(new long[] {c.embeddingDim(), 3L * c.embeddingDim()},
                            r.entries().get("transformer.h.0.attn.c_attn.weight").shape());
                    assertTrue(r.entries().containsKey("transformer.h.0.attn.c_attn.bias"), "GPT-2 always has a qkv bias");
                    assertEquals(!c.tiedOutputHead(), r.entries().containsKey("lm_head.weight"));
                }
            }
        }
    }

    @Test
    void truncatedAndMalformedFilesAreRejectedBeforeAllocating(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.safetensors");
        Safetensors.write(f, Map.of("x", Safetensors.Data.of(new float[1000], 10, 100)), Map.of());
        byte[] whole = Files.readAllBytes(f);
        for (int cut : new int[] {0, 4, 8, 20, whole.length - 1}) {
            Files.write(f, Arrays.copyOf(whole, cut));
            var e = assertThrows(IOException.class, () -> Safetensors.open(f).close());
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        }
        // a header that claims a petabyte tensor: refused from the header alone
        String header = "{\"x\": {\"dtype\": \"F32\", \"shape\": [1000000000, 1000000], \"data_offsets\": [0, 4000000000000000]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(f, b.array());
        var e = assertThrows(IOException.class, () -> Safetensors.open(f).close());
        assertTrue(e.getMessage().contains("outside the file"), e.getMessage());
        // a header length larger than the file
        ByteBuffer big = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
        Files.write(f, big.array());
        assertThrows(IOException.class, () -> Safetensors.open(f).close());
        // shape and byte range disagree
        String bad = "{\"x\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}";
        byte[] hb = bad.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + hb.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(hb.length).put(hb);
        Files.write(f, bb.array());
        var e2 = assertThrows(IOException.class, () -> Safetensors.open(f).close());
        assertTrue(e2.getMessage().contains("shape needs 12"), e2.getMessage());
        // a shape whose byte count overflows a long (2^62 floats) must not pass as zero bytes
        for (String shape : new String[] {"[4611686018427387904]", "[4294967296, 4294967296]"}) {
            byte[] huge = ("{\"x\": {\"dtype\": \"F32\", \"shape\": " + shape + ", \"data_offsets\": [0, 0]}}").getBytes(StandardCharsets.UTF_8);
            Files.write(f, ByteBuffer.allocate(8 + huge.length).order(ByteOrder.LITTLE_ENDIAN).putLong(huge.length).put(huge).array());
            assertThrows(IOException.class, () -> Safetensors.open(f).close(), shape);
        }
    }

    @Test
    void aConfigClaimingMoreThanTheWeightsHoldIsRefusedBeforeAllocating(@TempDir Path dir) throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel model = new GptModel(be, GptConfig.TINY);
            model.initialize(1);
            HfCheckpoint.save(model, dir);
            String original = Files.readString(dir.resolve(HfCheckpoint.CONFIG));
            // each of these, allocated as claimed, is gigabytes (or billions of layout entries): an OutOfMemoryError
            for (String[] lie : new String[][] {{"\"n_positions\": 16", "\"n_positions\": 200000000"},
                    {"\"n_layer\": 2", "\"n_layer\": 2000000000"}, {"\"vocab_size\": 97", "\"vocab_size\": 2000000000"},
                    {"\"n_positions\": 16", "\"n_positions\": 99999999999"}}) {
                assertTrue(original.contains(lie[0]), lie[0]);
                Files.writeString(dir.resolve(HfCheckpoint.CONFIG), original.replace(lie[0], lie[1]));
                var e = assertThrows(IOException.class, () -> HfCheckpoint.load(be, dir), lie[1]);
                assertTrue(e.getMessage().contains("has shape") || e.getMessage().contains("layers") || e.getMessage().contains("integer"),
                        e.getMessage());
            }
        }
    }

    @Test
    void aConfigThatDoesNotMatchTheWeightsIsRefused(@TempDir Path dir) throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel model = new GptModel(be, GptConfig.TINY);
            model.initialize(1);
            HfCheckpoint.save(model, dir);
            String cfg = Files.readString(dir.resolve(HfCheckpoint.CONFIG)).replace("\"n_embd\": 32", "\"n_embd\": 64");
            Files.writeString(dir.resolve(HfCheckpoint.CONFIG), cfg);
            var e = assertThrows(IOException.class, () -> HfCheckpoint.load(be, dir));
            assertTrue(e.getMessage().contains("has shape"), e.getMessage());
        }
    }

    @Test
    void aJobDirectoryNamesItsNewestCompleteStep(@TempDir Path dir) throws IOException {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, GptConfig.TINY);
            m.initialize(3);
            for (String step : new String[] {"step-2", "step-10", "step-9"}) HfCheckpoint.save(m, dir.resolve("job").resolve(step));
        }
        Files.createDirectories(dir.resolve("job/step-11")); // being written: no weights yet
        Files.createDirectories(dir.resolve("job/notes"));
        assertEquals(dir.resolve("job/step-10"), HfCheckpoint.newestIn(dir.resolve("job")), "by number: 10 after 9, 11 incomplete");
        assertEquals(dir.resolve("job/step-2"), HfCheckpoint.newestIn(dir.resolve("job/step-2")), "a checkpoint is itself");
        assertEquals(dir.resolve("none"), HfCheckpoint.newestIn(dir.resolve("none")), "nothing there: unchanged, for the loader's error");
        assertEquals(dir.resolve("job/notes"), HfCheckpoint.newestIn(dir.resolve("job/notes")));
    }
}
