package dev.llmsuite.records;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** Reads the little-endian binary layout that {@link RecordWriter} writes, failing clearly on bad bytes. */
final class RecordReader {
    private final ByteBuffer buf;
    private final String kind;

    RecordReader(byte[] bytes, byte expectedKind, String kind) {
        this.kind = kind;
        if (bytes == null) throw new MalformedRecordException(kind + ": empty payload");
        this.buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 4) throw new MalformedRecordException(kind + ": truncated header (" + bytes.length + " bytes)");
        if (buf.get() != RecordWriter.MAGIC_0 || buf.get() != RecordWriter.MAGIC_1) {
            throw new MalformedRecordException(kind + ": not an llm-suite record (bad magic)");
        }
        byte k = buf.get();
        if (k != expectedKind) throw new MalformedRecordException(kind + ": record kind " + k + ", expected " + expectedKind);
        byte version = buf.get();
        if (version != RecordWriter.VERSION) throw new MalformedRecordException(kind + ": unsupported version " + version);
    }

    byte u8() { return guard(() -> buf.get()); }
    int i32() { return guard(buf::getInt); }
    long i64() { return guard(buf::getLong); }

    String string() {
        int n = i32();
        return new String(bytes(n), StandardCharsets.UTF_8);
    }

    byte[] bytes(int n) {
        if (n < 0 || n > buf.remaining()) {
            throw new MalformedRecordException(kind + ": truncated payload (needs " + n + " bytes, has " + buf.remaining() + ")");
        }
        byte[] b = new byte[n];
        buf.get(b);
        return b;
    }

    /** Ids packed at 2 or 4 bytes each, whichever the writer chose. */
    int[] ids() {
        int width = u8();
        int n = i32();
        if (width != 2 && width != 4) throw new MalformedRecordException(kind + ": bad id width " + width);
        if (n < 0 || (long) n * width > buf.remaining()) {
            throw new MalformedRecordException(kind + ": truncated ids (" + n + " ids of " + width + " bytes, "
                    + buf.remaining() + " bytes left)");
        }
        int[] ids = new int[n];
        if (width == 2) for (int i = 0; i < n; i++) ids[i] = buf.getShort() & 0xFFFF;
        else for (int i = 0; i < n; i++) ids[i] = buf.getInt();
        return ids;
    }

    /** Signed ids (targets may hold the ignore index -100): always 4 bytes each. */
    int[] signedIds() {
        int n = i32();
        if (n < 0 || (long) n * 4 > buf.remaining()) throw new MalformedRecordException(kind + ": truncated ids");
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = buf.getInt();
        return ids;
    }

    void end() {
        if (buf.hasRemaining()) throw new MalformedRecordException(kind + ": " + buf.remaining() + " trailing bytes");
    }

    private <T> T guard(Supplier<T> read) {
        try {
            return read.get();
        } catch (BufferUnderflowException e) {
            throw new MalformedRecordException(kind + ": truncated payload");
        }
    }
}
