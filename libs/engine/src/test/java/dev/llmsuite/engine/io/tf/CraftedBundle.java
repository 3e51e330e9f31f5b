package dev.llmsuite.engine.io.tf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes checkpoint indexes entry by entry, right or wrong as a test asks: valid checksums around whatever the entries
 * say, so that a hostile entry reaches the checks behind them. (The fixtures come from make_tf_checkpoint_fixture.py's
 * independent writer; this one only crafts attacks.)
 */
final class CraftedBundle {
    /** An entry of the single data block as written: the shared-prefix length, the key's other bytes, the value. */
    record Raw(int shared, byte[] unshared, byte[] value) {}

    final List<Raw> entries = new ArrayList<>();
    int restartCount = 1;
    int blockType = 0;
    byte[] indexKey = {(byte) 0xff};

    CraftedBundle header(int numShards) {
        return put("", proto().varint(1, numShards).message(3, proto().varint(1, 1)));
    }

    CraftedBundle put(String key, Proto value) {
        entries.add(new Raw(0, key.getBytes(StandardCharsets.UTF_8), value.bytes()));
        return this;
    }

    /** A float32 entry in shard 0. */
    CraftedBundle floats(String name, long offset, float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return put(name, entry(1, shape, 0, offset, 4L * values.length, crc(b.array())));
    }

    static Proto entry(int dtype, long[] shape, int shard, long offset, long size, int maskedCrc) {
        Proto dims = proto();
        for (long d : shape) dims.message(2, proto().varint(1, d));
        return proto().varint(1, dtype).message(2, dims).varint(3, shard).varint(4, offset).varint(5, size).fixed32(6, maskedCrc);
    }

    static int crc(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        return Crc.mask((int) c.getValue());
    }

    static Proto proto() {
        return new Proto();
    }

    byte[] bytes() {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        for (Raw e : entries) {
            varint(block, e.shared);
            varint(block, e.unshared.length);
            varint(block, e.value.length);
            block.writeBytes(e.unshared);
            block.writeBytes(e.value);
        }
        for (int i = 0; i < Math.min(restartCount, 1 << 16); i++) block.writeBytes(le32(0));
        block.writeBytes(le32(restartCount));
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        byte[] data = block.toByteArray();
        writeBlock(file, data, blockType);
        int metaAt = file.size();
        byte[] meta = concat(le32(0), le32(1));
        writeBlock(file, meta, 0);
        int indexAt = file.size();
        ByteArrayOutputStream index = new ByteArrayOutputStream();
        ByteArrayOutputStream handle = new ByteArrayOutputStream();
        varint(handle, 0);
        varint(handle, data.length);
        varint(index, 0);
        varint(index, indexKey.length);
        varint(index, handle.size());
        index.writeBytes(indexKey);
        index.writeBytes(handle.toByteArray());
        index.writeBytes(le32(0));
        index.writeBytes(le32(1));
        byte[] indexBlock = index.toByteArray();
        writeBlock(file, indexBlock, 0);
        ByteArrayOutputStream footer = new ByteArrayOutputStream();
        varint(footer, metaAt);
        varint(footer, meta.length);
        varint(footer, indexAt);
        varint(footer, indexBlock.length);
        footer.writeBytes(new byte[40 - footer.size()]);
        footer.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(SsTable.MAGIC).array());
        file.writeBytes(footer.toByteArray());
        return file.toByteArray();
    }

    /** Writes prefix.index (and nothing else). */
    Path write(Path prefix) throws IOException {
        Files.write(prefix.resolveSibling(prefix.getFileName() + ".index"), bytes());
        return prefix;
    }

    private static void writeBlock(ByteArrayOutputStream file, byte[] block, int type) {
        file.writeBytes(block);
        byte[] typed = concat(block, new byte[] {(byte) type});
        CRC32C c = new CRC32C();
        c.update(typed);
        file.write(type);
        file.writeBytes(le32(Crc.mask((int) c.getValue())));
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** A protobuf message written field by field. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            CraftedBundle.varint(out, (long) field << 3);
            CraftedBundle.varint(out, v);
            return this;
        }

        Proto fixed32(int field, int v) {
            CraftedBundle.varint(out, (long) field << 3 | 5);
            out.writeBytes(le32(v));
            return this;
        }

        Proto message(int field, Proto m) {
            return bytes(field, m.bytes());
        }

        Proto bytes(int field, byte[] b) {
            CraftedBundle.varint(out, (long) field << 3 | 2);
            CraftedBundle.varint(out, b.length);
            out.writeBytes(b);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
