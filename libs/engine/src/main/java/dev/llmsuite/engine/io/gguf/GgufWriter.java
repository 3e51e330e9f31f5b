package dev.llmsuite.engine.io.gguf;

import dev.llmsuite.engine.io.gguf.GgufValue.Type;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF version 3 file (layout in {@link GgufFile}) with the default alignment of 32: metadata, tensor records,
 * then each tensor encoded in its type. The file appears whole or not at all (written beside it, then moved).
 */
public final class GgufWriter {

    /** A tensor to write: dims with ne[0] (a row's length) first, data row-major in that order. */
    public record Tensor(String name, long[] dims, GgmlType type, float[] data) {
        long bytes() { return type.bytes(data.length); }
    }

    private GgufWriter() {}

    public static void write(Path file, Map<String, GgufValue> metadata, List<Tensor> tensors) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            Encoder e = new Encoder(out);
            e.u32(GgufFile.MAGIC);
            e.u32(3);
            e.u64(tensors.size());
            e.u64(metadata.size());
            for (var kv : metadata.entrySet()) {
                e.string(kv.getKey());
                e.u32(kv.getValue().type().ordinal());
                e.value(kv.getValue());
            }
            long offset = 0;
            for (Tensor t : tensors) {
                long elements = 1;
                for (long d : t.dims()) elements *= d;
                if (elements != t.data().length || t.dims()[0] % t.type().blockElements != 0) {
                    throw new IllegalArgumentException(t.name() + ": dims do not fit its data or its type's blocks");
                }
                e.string(t.name());
                e.u32(t.dims().length);
                for (long d : t.dims()) e.u64(d);
                e.u32(t.type().id);
                e.u64(offset);
                offset = align(offset + t.bytes());
            }
            e.pad();
            for (Tensor t : tensors) {
                e.tensor(t);
                e.pad();
            }
        } catch (IOException | RuntimeException ex) {
            Files.deleteIfExists(tmp);
            throw ex;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static long align(long n) {
        return (n + GgufFile.DEFAULT_ALIGNMENT - 1) / GgufFile.DEFAULT_ALIGNMENT * GgufFile.DEFAULT_ALIGNMENT;
    }

    /** Little-endian primitives onto a stream, counting bytes for the padding. */
    private static final class Encoder {
        private final OutputStream out;
        private final ByteBuffer scratch = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        Encoder(OutputStream out) { this.out = out; }

        private void flushScratch() throws IOException {
            out.write(scratch.array(), 0, scratch.position());
            written += scratch.position();
            scratch.clear();
        }

        void u32(long v) throws IOException { scratch.putInt((int) v); flushScratch(); }

        void u64(long v) throws IOException { scratch.putLong(v); flushScratch(); }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.write(b);
            written += b.length;
        }

        void value(GgufValue v) throws IOException {
            if (v.type() != Type.ARRAY) {
                scalar(v.type(), v.value());
                return;
            }
            u32(v.elementType().ordinal());
            List<?> items = (List<?>) v.value();
            u64(items.size());
            for (Object item : items) scalar(v.elementType(), item);
        }

        private void scalar(Type type, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8, BOOL -> scratch.put(type == Type.BOOL ? (byte) ((Boolean) v ? 1 : 0) : ((Long) v).byteValue());
                case UINT16, INT16 -> scratch.putShort(((Long) v).shortValue());
                case UINT32, INT32 -> scratch.putInt(((Long) v).intValue());
                case UINT64, INT64 -> scratch.putLong((Long) v);
                case FLOAT32 -> scratch.putFloat(((Double) v).floatValue());
                case FLOAT64 -> scratch.putDouble((Double) v);
                case STRING -> { string((String) v); return; }
                case ARRAY -> throw new IllegalArgumentException("nested arrays are not written");
            }
            flushScratch();
        }

        void tensor(Tensor t) throws IOException {
            int perChunk = scratch.capacity() / t.type().blockBytes * t.type().blockElements;
            for (int from = 0; from < t.data().length; from += perChunk) {
                t.type().encode(t.data(), from, Math.min(perChunk, t.data().length - from), scratch);
                flushScratch();
            }
        }

        void pad() throws IOException {
            while (written % GgufFile.DEFAULT_ALIGNMENT != 0) {
                out.write(0);
                written++;
            }
        }
    }
}
