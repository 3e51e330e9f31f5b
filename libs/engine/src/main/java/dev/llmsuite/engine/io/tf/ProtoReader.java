package dev.llmsuite.engine.io.tf;

import java.io.IOException;
import java.util.Arrays;

/**
 * Protocol Buffers' wire format, the part TensorFlow's bundle header and entries use: each field a key (number and
 * wire type as a varint) then a varint (0), 8 bytes (1), a length and as many bytes (2) or 4 bytes (5). Fields not
 * asked for are skipped; groups (3, 4) and anything that runs past the message are refused. {@link SsTable} reads its
 * blocks' varints and raw bytes with it too.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, BYTES = 2, FIXED32 = 5;

    private final byte[] b;
    private int at;
    private final int end;
    private int wire;

    ProtoReader(byte[] b) {
        this(b, 0, b.length);
    }

    /** Reads [at, end) of b. */
    ProtoReader(byte[] b, int at, int end) {
        this.b = b;
        this.at = at;
        this.end = end;
    }

    boolean hasMore() {
        return at < end;
    }

    /** The next n bytes as they are. */
    byte[] raw(long n) throws IOException {
        if (n < 0 || n > end - at) throw new IOException(n + " bytes run past the end");
        at += (int) n;
        return Arrays.copyOfRange(b, at - (int) n, at);
    }

    /** The next field's number, or 0 at the end of the message. */
    int next() throws IOException {
        if (at >= end) return 0;
        long key = varint();
        wire = (int) (key & 7);
        long number = key >>> 3;
        if (number < 1 || number > 536_870_911) throw new IOException("a field numbered " + number);
        if (wire != VARINT && wire != FIXED64 && wire != BYTES && wire != FIXED32) throw new IOException("field " + number + " has wire type " + wire);
        return (int) number;
    }

    long varint() throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at >= end) throw new IOException("a varint runs past the end");
            int x = b[at++];
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) return v;
        }
        throw new IOException("a varint longer than 10 bytes");
    }

    /** The current field as an integer, which must have been written as a varint. */
    long integer() throws IOException {
        expect(VARINT);
        return varint();
    }

    int fixed32() throws IOException {
        expect(FIXED32);
        if (end - at < 4) throw new IOException("a fixed32 runs past its message");
        int v = (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
        at += 4;
        return v;
    }

    /** The current field as an embedded message. */
    ProtoReader message() throws IOException {
        int n = length();
        ProtoReader m = new ProtoReader(b, at, at + n);
        at += n;
        return m;
    }

    byte[] bytes() throws IOException {
        return raw(length());
    }

    void skip() throws IOException {
        switch (wire) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case FIXED32 -> advance(4);
            default -> advance(length());
        }
    }

    private int length() throws IOException {
        expect(BYTES);
        long n = varint();
        if (n < 0 || n > end - at) throw new IOException("a field of " + n + " bytes runs past its message");
        return (int) n;
    }

    private void advance(int n) throws IOException {
        if (n > end - at) throw new IOException("a field runs past its message");
        at += n;
    }

    private void expect(int type) throws IOException {
        if (wire != type) throw new IOException("wire type " + wire + " where " + type + " belongs");
    }
}
