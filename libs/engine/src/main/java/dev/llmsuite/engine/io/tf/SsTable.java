package dev.llmsuite.engine.io.tf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A LevelDB table as TensorFlow writes a checkpoint's {@code .index} (its {@code lib/io/table}), read whole from
 * memory into its key → value entries:
 *
 * <pre>
 *   file     data block … | meta-index block | index block | footer (48 bytes)
 *   footer   meta-index handle, index handle (each varint64 offset, varint64 size) | zero padding to 40 | magic (u64)
 *   block    entries | restart offsets (u32 each) | restart count (u32) ‖ trailer: type (0 = plain) | masked CRC32C
 *   entry    shared (varint32) | unshared (varint32) | value length (varint32) | key[shared:] | value
 *   index    one entry per data block: a key ≥ the block's last key → the block's handle
 * </pre>
 *
 * Every handle is checked to lie inside the file before a block is read, every block's CRC before its entries, every
 * length before its bytes; keys must rise strictly, across blocks too. Prefix sharing could rebuild far more key bytes
 * than the file holds, so keys are capped ({@link #MAX_KEY_BYTES}) and so is their total (a multiple of the file's size).
 */
final class SsTable {
    static final long MAGIC = 0xdb4775248b80fb57L;
    static final int FOOTER_BYTES = 48;
    /** A tensor's name: far below this in any checkpoint. */
    static final int MAX_KEY_BYTES = 1 << 16;
    private static final int TRAILER_BYTES = 5;

    private SsTable() {}

    /** The table's entries in key order; keys decoded as UTF-8 (TensorFlow's are variable names). */
    static Map<String, byte[]> read(byte[] file) throws IOException {
        if (file.length < FOOTER_BYTES) throw new IOException("shorter than a table's " + FOOTER_BYTES + "-byte footer");
        ByteBuffer footer = ByteBuffer.wrap(file, file.length - FOOTER_BYTES, FOOTER_BYTES).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (footer.getLong(40) != MAGIC) throw new IOException("not a TensorFlow checkpoint index (no table magic at its end)");
        ProtoReader f = new ProtoReader(file, file.length - FOOTER_BYTES, file.length - 8);
        f.varint();
        f.varint(); // the meta-index: TensorFlow keeps nothing there
        long indexAt = f.varint(), indexSize = f.varint();
        long budget = 8L * file.length + MAX_KEY_BYTES; // rebuilt key bytes allowed, all blocks together
        Map<String, byte[]> entries = new LinkedHashMap<>();
        byte[] last = null;
        ProtoReader index = block(file, indexAt, indexSize, "index block");
        byte[] previousIndexKey = null;
        long previousEnd = 0;
        while (index.hasMore()) {
            Entry e = entry(index, previousIndexKey);
            previousIndexKey = e.key;
            ProtoReader handle = new ProtoReader(e.value);
            long at = handle.varint(), size = handle.varint();
            if (at < previousEnd) throw new IOException("data block at " + at + " overlaps or precedes the one before it");
            previousEnd = at + size + TRAILER_BYTES;
            ProtoReader data = block(file, at, size, "data block at " + at);
            byte[] previous = null;
            while (data.hasMore()) {
                Entry d = entry(data, previous);
                budget -= d.key.length;
                if (budget < 0) throw new IOException("its shared key prefixes rebuild more key bytes than such a file can hold");
                if (last != null && Arrays.compareUnsigned(last, d.key) >= 0) throw new IOException("keys out of order at '" + text(d.key) + "'");
                if (Arrays.compareUnsigned(d.key, e.key) > 0) throw new IOException("key '" + text(d.key) + "' lies beyond its block's index key");
                entries.put(text(d.key), d.value);
                previous = last = d.key;
            }
        }
        return entries;
    }

    /** The entries of the block at offset, after its trailer's type and checksum. */
    private static ProtoReader block(byte[] file, long offset, long size, String what) throws IOException {
        long end = file.length - FOOTER_BYTES;
        if (offset < 0 || size < 0 || offset > end || size > end - offset - TRAILER_BYTES) {
            throw new IOException(what + ": [" + offset + ", +" + size + "] lies outside the file's " + end + " bytes of blocks");
        }
        int at = (int) offset, n = (int) size;
        int type = file[at + n];
        if (type != 0) throw new IOException(what + " is compressed (type " + type + "); TensorFlow writes checkpoint indexes uncompressed");
        CRC32C crc = new CRC32C();
        crc.update(file, at, n + 1);
        int stored = ByteBuffer.wrap(file, at + n + 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (stored != Crc.mask((int) crc.getValue())) throw new IOException(what + ": checksum mismatch");
        if (n < 4) throw new IOException(what + ": " + n + " bytes, too short for its restart count");
        long restarts = Integer.toUnsignedLong(ByteBuffer.wrap(file, at + n - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
        if (restarts < 1 || restarts > (n - 4) / 4) throw new IOException(what + ": " + restarts + " restart points do not fit its " + n + " bytes");
        return new ProtoReader(file, at, at + n - 4 - 4 * (int) restarts);
    }

    private static String text(byte[] key) {
        return new String(key, StandardCharsets.UTF_8);
    }

    private record Entry(byte[] key, byte[] value) {}

    /** The next entry of a block: its key rebuilt from the previous one's shared prefix. */
    private static Entry entry(ProtoReader block, byte[] previous) throws IOException {
        long shared = block.varint(), unshared = block.varint(), valueLength = block.varint();
        int had = previous == null ? 0 : previous.length;
        if (shared < 0 || unshared < 0 || valueLength < 0) throw new IOException("an entry with a negative length");
        if (shared > had) throw new IOException("an entry shares " + shared + " bytes of a " + had + "-byte previous key");
        if (shared + unshared > MAX_KEY_BYTES) throw new IOException("a key of " + (shared + unshared) + " bytes (at most " + MAX_KEY_BYTES + ")");
        byte[] rest = block.raw(unshared);
        byte[] key = Arrays.copyOf(previous == null ? new byte[0] : previous, (int) (shared + unshared));
        System.arraycopy(rest, 0, key, (int) shared, rest.length);
        return new Entry(key, block.raw(valueLength));
    }
}
