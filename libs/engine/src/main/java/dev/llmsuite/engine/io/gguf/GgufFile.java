package dev.llmsuite.engine.io.gguf;

import dev.llmsuite.engine.io.gguf.GgufValue.Type;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (llama.cpp's model format, version 2 or 3), its header read and validated whole before any tensor is:
 *
 * <pre>
 *   "GGUF"  u32 version  u64 tensor_count  u64 kv_count
 *   kv_count × (string key, u32 type, value)              string = u64 length + UTF-8 bytes; array = u32 type, u64 n, n values
 *   tensor_count × (string name, u32 n_dims, n_dims × u64 ne (ne[0] fastest), u32 ggml type, u64 offset)
 *   padding to general.alignment (32 unless given), then the tensors, each at data start + offset
 * </pre>
 *
 * Every count and length is checked against the bytes left in the file before anything of that size is allocated,
 * every tensor's extent against the data section, so a hostile or truncated file fails with its reason and never
 * allocates more than its own size. Over 250 lines because every check sits beside the field it guards (the header
 * cursor), which is what a reviewer of a hostile-file reader needs to see at once.
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    /** Names, tokens and chat templates are short; a longer string is refused before it is allocated. */
    static final long MAX_STRING_BYTES = 16L << 20;

    /** A tensor's record: ne[0] is the fastest-varying dimension (a row's length), as in ggml. */
    public record TensorInfo(String name, long[] dims, GgmlType type, long typeId, long offset) {
        public long elements() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }

        /** The dimensions slowest first, as PyTorch and safetensors write them. */
        public long[] shape() {
            long[] s = new long[dims.length];
            for (int i = 0; i < dims.length; i++) s[i] = dims[dims.length - 1 - i];
            return s;
        }
    }

    private final Path path;
    private final FileChannel channel;
    private final Map<String, GgufValue> metadata;
    private final Map<String, TensorInfo> tensors;
    private final long dataStart;

    private GgufFile(Path path, FileChannel channel, Map<String, GgufValue> metadata, Map<String, TensorInfo> tensors, long dataStart) {
        this.path = path;
        this.channel = channel;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataStart = dataStart;
    }

    public static GgufFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return read(path, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (e instanceof IOException io) throw io;
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    private static GgufFile read(Path path, FileChannel ch) throws IOException {
        HeaderCursor in = new HeaderCursor(path, ch);
        if (in.u32() != MAGIC) throw in.fail("not a GGUF file (no 'GGUF' magic)");
        long version = in.u32();
        if (version != 2 && version != 3) throw in.fail("GGUF version " + version + " is not supported (2 and 3 are)");
        long tensorCount = in.u64(), kvCount = in.u64();
        in.requireCount(kvCount, 8 + 4 + 1, "metadata entries");
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string();
            Type type = in.type();
            if (metadata.put(key, in.value(type, key)) != null) throw in.fail("metadata key '" + key + "' appears twice");
        }
        in.requireCount(tensorCount, 8 + 4 + 8 + 4 + 8, "tensors");
        List<TensorInfo> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) infos.add(in.tensorInfo());
        long alignment = DEFAULT_ALIGNMENT;
        GgufValue a = metadata.get("general.alignment");
        if (a != null) {
            alignment = a.asLong("general.alignment");
            if (alignment <= 0 || alignment > 1 << 16 || Long.bitCount(alignment) != 1) {
                throw in.fail("general.alignment must be a power of two up to 65536, is " + alignment);
            }
        }
        long dataStart = (in.position() + alignment - 1) / alignment * alignment;
        long dataSize = ch.size() - dataStart;
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : infos) {
            if (byName.put(t.name(), t) != null) throw in.fail("tensor '" + t.name() + "' appears twice");
            if (t.offset() % alignment != 0) throw in.fail(t.name() + ": offset " + t.offset() + " is not a multiple of " + alignment);
            if (t.type() != null) {
                long bytes = t.type().bytes(t.elements());
                if (t.offset() > dataSize || bytes > dataSize - t.offset()) {
                    throw in.fail(t.name() + ": " + bytes + " bytes at offset " + t.offset() + " run past the file's end");
                }
            }
        }
        return new GgufFile(path, ch, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(byName), dataStart);
    }

    public Path path() { return path; }

    public Map<String, GgufValue> metadata() { return metadata; }

    public Map<String, TensorInfo> tensors() { return tensors; }

    public GgufValue get(String key) { return metadata.get(key); }

    /** Where the data section starts: tensor offsets count from here. */
    long dataStart() { return dataStart; }

    /** The value of a key that must be there. */
    public GgufValue require(String key) throws IOException {
        GgufValue v = metadata.get(key);
        if (v == null) throw new IOException(path + ": no '" + key + "' in its metadata");
        return v;
    }

    /** A tensor decoded to floats (F32 as is; F16, BF16 widened; Q8_0 dequantized). */
    public float[] floats(String name) throws IOException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new IOException(path + ": no tensor '" + name + "'");
        if (t.type() == null) throw new IOException(path + ": " + name + " is ggml type " + t.typeId() + ", which this suite does not decode (f32, f16, bf16, q8_0, q4_k, q5_k, q6_k)");
        if (t.elements() > Integer.MAX_VALUE - 8) throw new IOException(path + ": " + name + " is too large for one array");
        float[] out = new float[(int) t.elements()];
        int blocksPerRead = Math.max(1, (1 << 20) / t.type().blockBytes);
        ByteBuffer buf = ByteBuffer.allocate(blocksPerRead * t.type().blockBytes).order(ByteOrder.LITTLE_ENDIAN);
        long at = dataStart + t.offset();
        for (int done = 0; done < out.length; ) {
            int count = (int) Math.min((long) blocksPerRead * t.type().blockElements, out.length - done);
            buf.clear().limit((int) t.type().bytes(count));
            while (buf.hasRemaining()) {
                if (channel.read(buf, at + buf.position()) < 0) throw new EOFException(path + ": " + name + " is cut short");
            }
            buf.flip();
            t.type().decode(buf, out, done, count);
            at += t.type().bytes(count);
            done += count;
        }
        return out;
    }

    @Override
    public void close() throws IOException { channel.close(); }

    /** Reads the header through a small window, checking each length against the bytes the file has left. */
    private static final class HeaderCursor {
        private final Path path;
        private final FileChannel channel;
        private final long size;
        private final ByteBuffer window = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long windowStart;

        HeaderCursor(Path path, FileChannel channel) throws IOException {
            this.path = path;
            this.channel = channel;
            this.size = channel.size();
            window.limit(0);
        }

        long position() { return windowStart + window.position(); }

        IOException fail(String why) { return new IOException(path + " (byte " + position() + "): " + why); }

        private void need(long n) throws IOException {
            if (n > size - position()) throw fail("needs " + n + " more bytes, the file has " + (size - position()));
            if (window.remaining() >= n) return;
            long at = position();
            window.clear();
            windowStart = at;
            while (window.position() < Math.min(window.capacity(), size - at)) {
                if (channel.read(window, at + window.position()) < 0) break;
            }
            window.flip();
        }

        long u32() throws IOException { need(4); return window.getInt() & 0xFFFFFFFFL; }

        long u64() throws IOException { need(8); return window.getLong(); }

        /** A count of items at least minBytes each must fit in what is left of the file. */
        void requireCount(long count, int minBytes, String what) throws IOException {
            if (count < 0 || count > (size - position()) / minBytes) {
                throw fail("claims " + Long.toUnsignedString(count) + " " + what + ", more than the file can hold");
            }
        }

        String string() throws IOException {
            long n = u64();
            if (n < 0 || n > size - position()) throw fail("a string of " + Long.toUnsignedString(n) + " bytes runs past the file's end");
            if (n > MAX_STRING_BYTES) throw fail("a string of " + n + " bytes is over " + MAX_STRING_BYTES);
            byte[] b = new byte[(int) n];
            for (int done = 0; done < b.length; ) {
                need(Math.min(window.capacity(), b.length - done));
                int k = Math.min(window.remaining(), b.length - done);
                window.get(b, done, k);
                done += k;
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw fail("a string is not UTF-8");
            }
        }

        Type type() throws IOException {
            long id = u32();
            Type t = Type.byId(id);
            if (t == null) throw fail("unknown value type " + id);
            return t;
        }

        GgufValue value(Type type, String key) throws IOException {
            if (type != Type.ARRAY) return new GgufValue(type, null, scalar(type));
            Type element = type();
            if (element == Type.ARRAY) throw fail("'" + key + "' is an array of arrays, which this reader refuses");
            long n = u64();
            requireCount(n, element.minBytes, "elements in '" + key + "'");
            List<Object> items = new ArrayList<>((int) Math.min(n, 1 << 16));
            for (long i = 0; i < n; i++) items.add(scalar(element));
            return new GgufValue(type, element, Collections.unmodifiableList(items));
        }

        private Object scalar(Type type) throws IOException {
            return switch (type) {
                case UINT8 -> { need(1); yield (long) (window.get() & 0xFF); }
                case INT8 -> { need(1); yield (long) window.get(); }
                case UINT16 -> { need(2); yield (long) (window.getShort() & 0xFFFF); }
                case INT16 -> { need(2); yield (long) window.getShort(); }
                case UINT32 -> u32();
                case INT32 -> { need(4); yield (long) window.getInt(); }
                case UINT64, INT64 -> u64();
                case FLOAT32 -> { need(4); yield (double) window.getFloat(); }
                case FLOAT64 -> { need(8); yield window.getDouble(); }
                case BOOL -> {
                    need(1);
                    byte b = window.get();
                    if (b != 0 && b != 1) throw fail("a boolean is " + b);
                    yield b == 1;
                }
                case STRING -> string();
                case ARRAY -> throw fail("nested array");
            };
        }

        TensorInfo tensorInfo() throws IOException {
            String name = string();
            long dimCount = u32();
            if (dimCount < 1 || dimCount > MAX_DIMS) throw fail(name + " has " + dimCount + " dimensions (1 to " + MAX_DIMS + ")");
            long[] dims = new long[(int) dimCount];
            long elements = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = u64();
                if (dims[i] < 1) throw fail(name + " has a dimension of " + Long.toUnsignedString(dims[i]));
                // no type packs an element into less than a quarter byte: a bound that also keeps the product from overflowing
                if (elements > 4 * size / dims[i]) throw fail(name + " claims " + Arrays.toString(dims) + ", more elements than the file can hold");
                elements *= dims[i];
            }
            long typeId = u32();
            GgmlType type = GgmlType.byId(typeId);
            if (type != null && dims[0] % type.blockElements != 0) {
                throw fail(name + ": rows of " + dims[0] + " are not whole " + type.label() + " blocks of " + type.blockElements);
            }
            long offset = u64();
            if (offset < 0) throw fail(name + ": offset " + Long.toUnsignedString(offset));
            return new TensorInfo(name, dims, type, typeId, offset);
        }
    }
}
