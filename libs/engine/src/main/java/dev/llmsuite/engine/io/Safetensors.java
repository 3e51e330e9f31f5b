package dev.llmsuite.engine.io;

import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and [begin, end) byte range, then the raw little-endian data. Reading validates the
 * whole header against the file's size before any tensor is allocated, so a truncated or hostile file
 * fails with a clear message instead of an out-of-memory error.
 */
public final class Safetensors {
    /** Headers above this are refused before they are read. */
    static final long MAX_HEADER = 100L << 20;

    private Safetensors() {}

    /** A tensor's place in the file. Supported dtypes: F32, F16, BF16 (read as float), I32. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** A file's header, validated, with the means to read tensors from it. */
    public static final class Reader implements TensorFile {
        private final Path path;
        private final FileChannel channel;
        private final long dataStart;
        private final Map<String, Entry> entries;
        private final Map<String, String> metadata;
        private final Map<String, long[]> shapes = new LinkedHashMap<>();

        private Reader(Path path, FileChannel ch, long dataStart, Map<String, Entry> entries, Map<String, String> metadata) {
            this.path = path;
            this.channel = ch;
            this.dataStart = dataStart;
            this.entries = entries;
            this.metadata = metadata;
            entries.forEach((k, e) -> shapes.put(k, e.shape().clone()));
        }

        public Map<String, Entry> entries() { return entries; }

        public Map<String, String> metadata() { return metadata; }

        @Override
        public Map<String, long[]> shapes() { return Collections.unmodifiableMap(shapes); }

        /** Reads a tensor as floats (F32 as is, F16 and BF16 widened). */
        public float[] floats(String name) throws IOException {
            Entry e = require(name);
            if (e.elements() > Integer.MAX_VALUE) throw new IOException(path + ": " + name + " is too large for one array");
            float[] out = new float[(int) e.elements()];
            ByteBuffer buf = bytes(e);
            switch (e.dtype()) {
                case "F32" -> buf.asFloatBuffer().get(out);
                case "F16" -> { for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(buf.getShort()); }
                case "BF16" -> { for (int i = 0; i < out.length; i++) out[i] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16); }
                default -> throw new IOException(path + ": " + name + " is " + e.dtype() + ", not a float tensor");
            }
            return out;
        }

        public int[] ints(String name) throws IOException {
            Entry e = require(name);
            if (!e.dtype().equals("I32")) throw new IOException(path + ": " + name + " is " + e.dtype() + ", not I32");
            int[] out = new int[(int) e.elements()];
            bytes(e).asIntBuffer().get(out);
            return out;
        }

        private Entry require(String name) throws IOException {
            Entry e = entries.get(name);
            if (e == null) throw new IOException(path + ": no tensor named " + name);
            return e;
        }

        private ByteBuffer bytes(Entry e) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate((int) (e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN);
            long pos = dataStart + e.begin();
            while (buf.hasRemaining()) {
                int n = channel.read(buf, pos);
                if (n < 0) throw new IOException(path + ": truncated while reading " + e.name());
                pos += n;
            }
            return buf.flip();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    public static Reader open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long size = ch.size();
            if (size < 8) throw new IOException(path + ": " + size + " bytes is too short for a safetensors file");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long headerLen = len.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw new IOException(path + ": header length " + headerLen + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.read(hb, 8);
            Object parsed;
            try {
                parsed = Json.parse(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new IOException(path + ": bad header: " + e.getMessage());
            }
            if (!(parsed instanceof Map<?, ?> header)) throw new IOException(path + ": header is not a JSON object");
            long dataLen = size - 8 - headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (var e : header.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (e.getValue() instanceof Map<?, ?> m) m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
                    continue;
                }
                entries.put(name, entry(path, name, e.getValue(), dataLen));
            }
            // Ranges must tile the data without overlap (the format requires it).
            List<Entry> sorted = new ArrayList<>(entries.values());
            sorted.sort(Comparator.comparingLong(Entry::begin));
            long expect = 0;
            for (Entry e : sorted) {
                if (e.begin() != expect) throw new IOException(path + ": tensor " + e.name() + " starts at " + e.begin() + ", expected " + expect);
                expect = e.end();
            }
            if (expect != dataLen) throw new IOException(path + ": tensors cover " + expect + " of " + dataLen + " data bytes");
            return new Reader(path, ch, 8 + headerLen, entries, metadata);
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (e instanceof IOException io) throw io;
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    private static Entry entry(Path path, String name, Object value, long dataLen) throws IOException {
        if (!(value instanceof Map<?, ?> m)) throw new IOException(path + ": " + name + " is not an object");
        Object dtype = m.get("dtype"), shape = m.get("shape"), offsets = m.get("data_offsets");
        if (!(dtype instanceof String dt) || !(shape instanceof List<?> sh) || !(offsets instanceof List<?> off) || off.size() != 2) {
            throw new IOException(path + ": " + name + " needs dtype, shape and data_offsets");
        }
        int width = switch (dt) {
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "I64", "F64" -> 8;
            default -> throw new IOException(path + ": " + name + " has unsupported dtype " + dt);
        };
        long[] dims = new long[sh.size()];
        long elements = 1;
        for (int k = 0; k < dims.length; k++) {
            if (!(sh.get(k) instanceof Long d) || d < 0) throw new IOException(path + ": " + name + " has a bad shape");
            dims[k] = d;
            elements = Math.multiplyExact(elements, d); // ArithmeticException: reported as a bad file below
        }
        if (!(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end) || begin < 0 || end < begin || end > dataLen) {
            throw new IOException(path + ": " + name + " has offsets outside the file (truncated?)");
        }
        long bytes = Math.multiplyExact(elements, width); // a shape like [2^62] must not wrap to zero bytes
        if (end - begin != bytes) {
            throw new IOException(path + ": " + name + " holds " + (end - begin) + " bytes, its shape needs " + bytes);
        }
        return new Entry(name, dt, dims, begin, end);
    }

    // ---------------------------------------------------------------- writing

    /** A tensor to write: float32 or int32 data and its shape. */
    /** floats [from, from + n) of a tensor that lives elsewhere (on a compute backend), into dst[0, n). */
    public interface FloatSource {
        void read(long from, float[] dst, int n);
    }

    /**
     * A tensor to write: float or int values in an array, or (streamed) count floats read piece by piece from
     * a source, so that a tensor larger than the heap can spare (AdamW's moments) is never copied whole.
     */
    public record Data(long[] shape, float[] floats, int[] ints, long count, FloatSource source) {
        public static Data of(float[] values, long... shape) { return new Data(shape, values, null, values.length, null); }
        public static Data ofInts(int[] values, long... shape) { return new Data(shape, null, values, values.length, null); }
        public static Data streamed(long count, FloatSource source, long... shape) { return new Data(shape, null, null, count, source); }
        long bytes() { return 4L * count; }
    }

    /** Writes atomically: a temporary file in the same directory, renamed into place when complete. */
    public static void write(Path path, Map<String, Data> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long offset = 0;
        for (var e : tensors.entrySet()) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("dtype", e.getValue().ints() == null ? "F32" : "I32");
            h.put("shape", e.getValue().shape());
            h.put("data_offsets", List.of(offset, offset + e.getValue().bytes()));
            header.put(e.getKey(), h);
            offset += e.getValue().bytes();
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        Path tmp = Files.createTempFile(path.toAbsolutePath().getParent(), "." + path.getFileName(), ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) head.put((byte) ' ');
            writeFully(ch, head.flip());
            ByteBuffer buf = ByteBuffer.allocate(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
            float[] piece = null;
            for (Data d : tensors.values()) {
                for (long from = 0; from < d.count(); from += 1 << 20) {
                    int len = (int) Math.min(1 << 20, d.count() - from);
                    buf.clear().limit(len * 4);
                    if (d.floats() != null) buf.asFloatBuffer().put(d.floats(), (int) from, len);
                    else if (d.ints() != null) buf.asIntBuffer().put(d.ints(), (int) from, len);
                    else {
                        if (piece == null) piece = new float[1 << 20];
                        d.source().read(from, piece, len);
                        buf.asFloatBuffer().put(piece, 0, len);
                    }
                    writeFully(ch, buf);
                }
            }
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
