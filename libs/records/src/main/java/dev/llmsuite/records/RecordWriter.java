package dev.llmsuite.records;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The binary layout of the high-volume records: magic "LM", a kind byte, a version byte, then fields in
 * little-endian order. Strings are length-prefixed UTF-8; id arrays carry their width (2 or 4 bytes).
 */
final class RecordWriter {
    static final byte MAGIC_0 = 'L';
    static final byte MAGIC_1 = 'M';
    static final byte VERSION = 1;

    private final ByteArrayOutputStream out;
    private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    RecordWriter(byte kind, int sizeHint) {
        out = new ByteArrayOutputStream(sizeHint + 16);
        out.write(MAGIC_0);
        out.write(MAGIC_1);
        out.write(kind);
        out.write(VERSION);
    }

    RecordWriter u8(int v) { out.write(v); return this; }
    RecordWriter i32(int v) { scratch.clear(); scratch.putInt(v); out.write(scratch.array(), 0, 4); return this; }
    RecordWriter i64(long v) { scratch.clear(); scratch.putLong(v); out.write(scratch.array(), 0, 8); return this; }

    RecordWriter string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    RecordWriter bytes(byte[] b) { i32(b.length); out.write(b, 0, b.length); return this; }

    RecordWriter ids(int[] ids) {
        int max = 0;
        for (int id : ids) {
            if (id < 0) throw new IllegalArgumentException("negative token id " + id);
            max = Math.max(max, id);
        }
        int width = max <= 0xFFFF ? 2 : 4;
        u8(width);
        i32(ids.length);
        ByteBuffer b = ByteBuffer.allocate(ids.length * width).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 2) for (int id : ids) b.putShort((short) id);
        else for (int id : ids) b.putInt(id);
        out.write(b.array(), 0, b.position());
        return this;
    }

    RecordWriter signedIds(int[] ids) {
        i32(ids.length);
        ByteBuffer b = ByteBuffer.allocate(ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) b.putInt(id);
        out.write(b.array(), 0, b.position());
        return this;
    }

    byte[] toBytes() { return out.toByteArray(); }
}
