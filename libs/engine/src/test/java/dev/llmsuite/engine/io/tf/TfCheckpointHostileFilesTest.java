package dev.llmsuite.engine.io.tf;

import static dev.llmsuite.engine.io.tf.CraftedBundle.proto;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.io.tf.CraftedBundle.Raw;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints crafted to attack the reader: lies in the table (handles, restarts, shared prefixes, key order, sizes),
 * in the entries (shapes, types, shards, offsets, slices, checksums), in the header, in the pointer file and hparams.json;
 * every truncation and every byte flipped of a real index. Each is refused with an IOException naming the reason (or, for
 * a flip the format does not guard, reads the same values); nothing beyond a bounded multiple of the file is allocated;
 * no other exception or Error comes out, and nothing outside the directory is read.
 */
class TfCheckpointHostileFilesTest {
    @TempDir Path dir;

    private Path prefix;

    /** Writes bundle's index with an 8-byte shard of {1, 2} and expects opening or reading every float to fail with reason. */
    private void refused(CraftedBundle bundle, String reason) throws IOException {
        refused(bundle, reason, b -> {});
    }

    private void refused(CraftedBundle bundle, String reason, Consumer<Path> more) throws IOException {
        prefix = bundle.write(dir.resolve("model.ckpt"));
        Files.write(dir.resolve("model.ckpt.data-00000-of-00001"), new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40});
        more.accept(dir);
        IOException e = assertThrows(IOException.class, () -> {
            try (TensorBundle b = TensorBundle.open(prefix)) {
                for (String name : b.shapes().keySet()) b.floats(name);
            }
        });
        assertTrue(e.getMessage().contains(reason), "expected '" + reason + "' in: " + e.getMessage());
    }

    private static CraftedBundle valid() {
        return new CraftedBundle().header(1).floats("a", 0, new float[] {1, 2}, 2);
    }

    @Test
    void aValidCraftedBundleReads() throws IOException {
        prefix = valid().write(dir.resolve("model.ckpt"));
        Files.write(dir.resolve("model.ckpt.data-00000-of-00001"), new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40});
        try (TensorBundle b = TensorBundle.open(prefix)) {
            assertArrayEquals(new float[] {1, 2}, b.floats("a"));
        }
    }

    @Test
    void tableLies() throws IOException {
        CraftedBundle restarts = valid();
        restarts.restartCount = Integer.MAX_VALUE;
        refused(restarts, "restart points do not fit");
        CraftedBundle snappy = valid();
        snappy.blockType = 1;
        refused(snappy, "is compressed");
        CraftedBundle beyondIndexKey = valid();
        beyondIndexKey.indexKey = new byte[] {'0'};
        refused(beyondIndexKey, "beyond its block's index key");
        CraftedBundle sharesTooMuch = valid();
        sharesTooMuch.entries.add(new Raw(5, "ab".getBytes(StandardCharsets.UTF_8), new byte[0]));
        refused(sharesTooMuch, "shares 5 bytes of a 1-byte previous key");
        CraftedBundle outOfOrder = new CraftedBundle().header(1).floats("b", 0, new float[] {1}, 1).floats("a", 4, new float[] {2}, 1);
        refused(outOfOrder, "keys out of order at 'a'");
        CraftedBundle duplicate = new CraftedBundle().header(1).floats("a", 0, new float[] {1}, 1).floats("a", 4, new float[] {2}, 1);
        refused(duplicate, "keys out of order at 'a'");
        CraftedBundle longKey = new CraftedBundle().header(1);
        longKey.put("k".repeat(SsTable.MAX_KEY_BYTES + 1), CraftedBundle.entry(1, new long[] {1}, 0, 0, 4, 0));
        refused(longKey, "a key of 65537 bytes");
    }

    @Test
    void sharedPrefixesCannotRebuildMoreThanTheFileHolds() throws IOException {
        // one 60 KiB key, then entries of 4 bytes each that each rebuild all of it and one more byte
        CraftedBundle amplifier = new CraftedBundle().header(1);
        byte[] base = "k".repeat(60_000).getBytes(StandardCharsets.UTF_8);
        amplifier.entries.add(new Raw(0, base, new byte[0]));
        for (int i = 0; i < 20_000; i++) {
            byte[] suffix = {(byte) ('a' + i / 676), (byte) ('a' + i / 26 % 26), (byte) ('a' + i % 26)};
            amplifier.entries.add(new Raw(base.length, suffix, new byte[0]));
        }
        refused(amplifier, "rebuild more key bytes than such a file can hold");
    }

    @Test
    void entryLies() throws IOException {
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(1, new long[] {3}, 0, 0, 8, 0)), "of 4-byte elements is not its 8 bytes");
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(1, new long[] {1L << 40, 1L << 40}, 0, 0, 8, 0)), "overflow");
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(1, new long[] {-1}, 0, 0, 8, 0)), "a dimension of -1");
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(1, new long[] {2}, 0, 4, 8, 0)), "lies beyond its shard's 8 bytes");
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(1, new long[] {2}, 0, Long.MAX_VALUE, 8, 0)), "lies beyond its shard");
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(1, new long[] {2}, 1, 0, 8, 0)), "lies in shard 1 of 1");
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(1, new long[] {2}, 0, 0, 8, 12345)), "fails its checksum");
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(3, new long[] {2}, 0, 0, 8, 0)), "not a float type");
        refused(new CraftedBundle().header(1).put("a", CraftedBundle.entry(1, new long[] {2}, 0, 0, 8, 0).bytes(7, new byte[0])), "saved in slices");
        refused(new CraftedBundle().header(1).put("a", proto().varint(1, 1).message(2, proto().varint(3, 1))), "unknown rank");
        refused(new CraftedBundle().header(1).put("a", proto().varint(1, 1).message(2, proto()).varint(5, 4)), "has no checksum");
        refused(new CraftedBundle().header(1).put("a", proto().varint(1, 1).varint(5, 4)), "has no shape");
        refused(new CraftedBundle().header(1).put("a", proto().varint(1, 1).bytes(2, new byte[] {0x12, 0x7f})), "runs past its message");
        refused(new CraftedBundle().header(1).put("a", proto().varint(1, 1).bytes(2, new byte[] {0x0b})), "wire type 3");
        CraftedBundle deep = new CraftedBundle().header(1);
        CraftedBundle.Proto dims = proto();
        for (int i = 0; i < BundleEntry.MAX_RANK + 1; i++) dims.message(2, proto().varint(1, 1));
        refused(deep.put("a", proto().varint(1, 1).message(2, dims)), "more than 64 dimensions");
    }

    @Test
    void headerLies() throws IOException {
        refused(new CraftedBundle().floats("a", 0, new float[] {1, 2}, 2), "no bundle header");
        refused(new CraftedBundle().header(0).floats("a", 0, new float[] {1, 2}, 2), "0 shards");
        refused(new CraftedBundle().header(Integer.MAX_VALUE).floats("a", 0, new float[] {1, 2}, 2), "shards (1 to");
        refused(new CraftedBundle().header(2).floats("a", 0, new float[] {1, 2}, 2), "model.ckpt.data-00000-of-00002 does not exist");
        refused(new CraftedBundle().put("", proto().varint(1, 1).varint(2, 1)).floats("a", 0, new float[] {1, 2}, 2), "big-endian");
        refused(new CraftedBundle().put("", proto().varint(1, 1).message(3, proto().varint(2, 7))).floats("a", 0, new float[] {1, 2}, 2), "bundle version 7");
    }

    @Test
    void everyTruncationAndEveryFlippedByteOfARealIndex() throws Exception {
        Path real = TfCheckpointFixtureTest.fixtures().resolve("gpt2");
        byte[] index = Files.readAllBytes(real.resolve("model.ckpt.index"));
        Files.copy(real.resolve("model.ckpt.data-00000-of-00001"), dir.resolve("model.ckpt.data-00000-of-00001"));
        float[] wte;
        try (TensorBundle b = TensorBundle.open(real.resolve("model.ckpt"))) {
            wte = b.floats("model/wte");
        }
        Path prefix = dir.resolve("model.ckpt");
        for (int n = 0; n < index.length; n++) {
            Files.write(dir.resolve("model.ckpt.index"), Arrays.copyOf(index, n));
            assertThrows(IOException.class, () -> TensorBundle.open(prefix).close(), "cut at " + n);
        }
        // what the format leaves unread: the meta-index block (TensorFlow keeps nothing there), its handle in the
        // footer, and the footer's padding
        int footer = index.length - SsTable.FOOTER_BYTES;
        int[] at = {footer};
        long metaAt = varint(index, at), metaSize = varint(index, at);
        int metaHandleEnd = at[0];
        varint(index, at);
        varint(index, at);
        int indexHandleEnd = at[0];
        for (int i = 0; i < index.length; i++) {
            byte[] flipped = index.clone();
            flipped[i] ^= 0x10;
            Files.write(dir.resolve("model.ckpt.index"), flipped);
            try (TensorBundle b = TensorBundle.open(prefix)) {
                assertArrayEquals(wte, b.floats("model/wte"), "flip at " + i + " opened: it must read the same");
                boolean unread = i >= metaAt && i < metaAt + metaSize + 5 || i >= footer && i < metaHandleEnd
                        || i >= indexHandleEnd && i < footer + 40;
                assertTrue(unread, "a flip at " + i + " of " + index.length + " went unnoticed");
            } catch (IOException refused) {
                // said why
            }
        }
    }

    private static long varint(byte[] b, int[] at) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b[at[0]++];
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) return v;
        }
    }

    @Test
    void aCorruptDataShardFailsItsChecksum() throws Exception {
        Path real = TfCheckpointFixtureTest.fixtures().resolve("gpt2");
        Files.copy(real.resolve("model.ckpt.index"), dir.resolve("model.ckpt.index"));
        byte[] data = Files.readAllBytes(real.resolve("model.ckpt.data-00000-of-00001"));
        data[data.length - 3] ^= 1;
        Files.write(dir.resolve("model.ckpt.data-00000-of-00001"), data);
        try (TensorBundle b = TensorBundle.open(dir.resolve("model.ckpt"))) {
            IOException e = assertThrows(IOException.class, () -> {
                for (String name : b.shapes().keySet()) b.floats(name);
            });
            assertTrue(e.getMessage().contains("fails its checksum"), e.getMessage());
        }
        Files.write(dir.resolve("model.ckpt.data-00000-of-00001"), Arrays.copyOf(data, data.length - 1));
        IOException e = assertThrows(IOException.class, () -> TensorBundle.open(dir.resolve("model.ckpt")).close());
        assertTrue(e.getMessage().contains("lies beyond its shard"), e.getMessage());
    }

    @Test
    void thePointerFileCannotLeadOutOfTheDirectory() throws Exception {
        Path real = TfCheckpointFixtureTest.fixtures().resolve("gpt2");
        Path outside = Files.createDirectories(dir.resolve("outside"));
        for (String f : List.of("model.ckpt.index", "model.ckpt.data-00000-of-00001")) Files.copy(real.resolve(f), outside.resolve(f));
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.copy(real.resolve("hparams.json"), model.resolve("hparams.json"));
        for (String path : List.of("../outside/model.ckpt", dir.resolve("outside/model.ckpt").toString(), "..\\\\outside\\\\model.ckpt")) {
            Files.writeString(model.resolve("checkpoint"), "model_checkpoint_path: \"" + path + "\"\n");
            assertEquals(model.resolve("model.ckpt"), OpenAiCheckpoint.prefix(model), path + " is read as a name in the directory");
            try (CpuBackend be = new CpuBackend(1)) {
                IOException e = assertThrows(IOException.class, () -> ModelFiles.load(be, model).close());
                assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
            }
        }
        for (String path : List.of("..", "", "a/..", "x".repeat(300))) {
            Files.writeString(model.resolve("checkpoint"), "model_checkpoint_path: \"" + path + "\"\n");
            IOException e = assertThrows(IOException.class, () -> OpenAiCheckpoint.prefix(model));
            assertTrue(e.getMessage().contains("not a checkpoint in"), e.getMessage());
        }
        Files.writeString(model.resolve("checkpoint"), "all_model_checkpoint_paths: \"model.ckpt\"\n");
        assertThrows(IOException.class, () -> OpenAiCheckpoint.prefix(model));
    }

    @Test
    void hparamsThatLie() throws Exception {
        Path real = TfCheckpointFixtureTest.fixtures().resolve("gpt2");
        Path model = Files.createDirectories(dir.resolve("model"));
        for (String f : List.of("checkpoint", "model.ckpt.index", "model.ckpt.data-00000-of-00001")) Files.copy(real.resolve(f), model.resolve(f));
        String good = Files.readString(real.resolve("hparams.json"));
        for (String[] lie : new String[][] {
                {good.replace("\"n_layer\": 2", "\"n_layer\": 100000"), "claims 100000 layers"},
                {good.replace("\"n_ctx\": 16", "\"n_ctx\": 2000000000"), "hparams.json implies"},
                {good.replace("\"n_embd\": 32", "\"n_embd\": 33"), "does not divide"},
                {good.replace("\"n_vocab\": 64", "\"n_vocab\": 1e9"), "must be an integer"},
                {good.replace("\"n_head\": 2", "\"n_head\": 99999999999"), "overflow"},
                {"[1, 2]", "not a JSON object"},
                {"{", "hparams.json"}}) {
            Files.writeString(model.resolve("hparams.json"), lie[0]);
            try (CpuBackend be = new CpuBackend(1)) {
                IOException e = assertThrows(IOException.class, () -> ModelFiles.load(be, model).close(), lie[0]);
                assertTrue(e.getMessage().contains(lie[1]), "expected '" + lie[1] + "' in: " + e.getMessage());
            }
        }
    }

    @Test
    void onlyGpt2sVariablesAreRenamed() {
        assertEquals("h.11.attn.c_attn.weight", OpenAiCheckpoint.hfName("model/h11/attn/c_attn/w"));
        assertEquals("h.0.ln_2.bias", OpenAiCheckpoint.hfName("model/h0/ln_2/b"));
        assertEquals("wte.weight", OpenAiCheckpoint.hfName("model/wte"));
        for (String other : List.of("model/h01/ln_1/g", "model/h0/ln_1/w", "model/h0/attn/c_attn/g", "model/h0/attn/c_attn/w/Adam",
                "global_step", "model/h-1/ln_1/g", "model/h0/../ln_1/g", "")) {
            assertEquals(null, OpenAiCheckpoint.hfName(other), other);
        }
    }
}
