package dev.llmsuite.engine.io.tf;

import dev.llmsuite.engine.io.TensorFile;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorFlow checkpoint in its tensor-bundle format (TensorFlow ≥ 1.0's {@code tf.train.Saver} V2, and what OpenAI
 * released GPT-2 as): for a prefix such as {@code model.ckpt},
 *
 * <pre>
 *   PREFIX.index                        a {@link SsTable}: "" → BundleHeaderProto {1 num_shards, 2 endianness,
 *                                       3 version}; each variable's name → its {@link BundleEntry}
 *   PREFIX.data-0000K-of-0000N          shard K's bytes: each variable at its offset, size bytes, little-endian
 * </pre>
 *
 * Opening reads the index (at most {@link #MAX_INDEX_BYTES}) and checks every entry against its shard's size, so no
 * tensor is allocated before the file is known to hold it; reading a tensor checks its CRC32C.
 */
public final class TensorBundle implements TensorFile {
    /** An index lists names and offsets: a few KiB for GPT-2; this bounds what opening reads into memory. */
    static final long MAX_INDEX_BYTES = 64L << 20;
    /** Shards each are a file; TensorFlow writes one per saving device. */
    static final int MAX_SHARDS = 4096;
    private static final int CHUNK = 1 << 20;

    private final Path prefix;
    private final Map<String, BundleEntry> entries;
    private final Map<String, long[]> shapes;
    private final FileChannel[] shards;

    private TensorBundle(Path prefix, Map<String, BundleEntry> entries, FileChannel[] shards) {
        this.prefix = prefix;
        this.entries = entries;
        this.shards = shards;
        Map<String, long[]> s = new LinkedHashMap<>();
        entries.forEach((k, e) -> s.put(k, e.shape().clone()));
        this.shapes = Collections.unmodifiableMap(s);
    }

    /** Opens PREFIX.index and its data shards (prefix: the path without ".index", e.g. dir/model.ckpt). */
    public static TensorBundle open(Path prefix) throws IOException {
        Path index = sibling(prefix, ".index");
        if (!Files.isRegularFile(index)) throw new IOException(index + " does not exist");
        if (Files.size(index) > MAX_INDEX_BYTES) throw new IOException(index + " is larger than an index can be (" + MAX_INDEX_BYTES + " bytes)");
        Map<String, byte[]> table;
        try {
            table = SsTable.read(Files.readAllBytes(index));
        } catch (IOException e) {
            throw new IOException(index + ": " + e.getMessage(), e);
        }
        byte[] header = table.get("");
        if (header == null) throw new IOException(index + " has no bundle header");
        int numShards = header(index, header);
        Map<String, BundleEntry> entries = new LinkedHashMap<>();
        for (var t : table.entrySet()) {
            if (t.getKey().isEmpty()) continue;
            try {
                entries.put(t.getKey(), BundleEntry.parse(t.getKey(), t.getValue()));
            } catch (IOException e) {
                throw new IOException(index + ": " + e.getMessage(), e);
            }
        }
        FileChannel[] shards = new FileChannel[numShards];
        try {
            for (int k = 0; k < numShards; k++) {
                Path data = sibling(prefix, String.format(".data-%05d-of-%05d", k, numShards));
                if (!Files.isRegularFile(data)) throw new IOException(data + " does not exist (shard " + k + " of " + numShards + ")");
                shards[k] = FileChannel.open(data, StandardOpenOption.READ);
            }
            for (var e : entries.entrySet()) {
                BundleEntry b = e.getValue();
                if (b.shard() >= numShards) throw new IOException(index + ": " + e.getKey() + " lies in shard " + b.shard() + " of " + numShards);
                long length = shards[b.shard()].size();
                if (b.offset() > length || b.size() > length - b.offset()) {
                    throw new IOException(index + ": " + e.getKey() + " [" + b.offset() + ", +" + b.size() + "] lies beyond its shard's " + length + " bytes");
                }
            }
        } catch (IOException | RuntimeException e) {
            for (FileChannel c : shards) if (c != null) c.close();
            throw e;
        }
        return new TensorBundle(prefix, entries, shards);
    }

    /** The header's shard count, once its byte order and version are ones this reader knows. */
    private static int header(Path index, byte[] proto) throws IOException {
        ProtoReader p = new ProtoReader(proto);
        long numShards = 0;
        for (int field; (field = p.next()) != 0; ) {
            switch (field) {
                case 1 -> numShards = p.integer();
                case 2 -> {
                    if (p.integer() != 0) throw new IOException(index + " is big-endian; only little-endian checkpoints are read");
                }
                case 3 -> {
                    ProtoReader version = p.message();
                    for (int f; (f = version.next()) != 0; ) {
                        if (f == 2) {
                            long minConsumer = version.integer();
                            if (minConsumer > 1) throw new IOException(index + " needs a reader of bundle version " + minConsumer + " (this one reads 1)");
                        } else {
                            version.skip();
                        }
                    }
                }
                default -> p.skip();
            }
        }
        if (numShards < 1 || numShards > MAX_SHARDS) throw new IOException(index + ": " + numShards + " shards (1 to " + MAX_SHARDS + ")");
        return (int) numShards;
    }

    private static Path sibling(Path prefix, String suffix) {
        return prefix.resolveSibling(prefix.getFileName() + suffix);
    }

    @Override
    public Map<String, long[]> shapes() {
        return shapes;
    }

    /** A variable's data type as TensorFlow numbers it (1 float32, 19 float16, …). */
    public int dtype(String name) throws IOException {
        return entry(name).dtype();
    }

    @Override
    public float[] floats(String name) throws IOException {
        BundleEntry e = entry(name);
        if (!BundleEntry.floating(e.dtype())) throw new IOException(prefix + ": " + name + " has data type " + e.dtype() + ", not a float type");
        int width = BundleEntry.width(e.dtype());
        long count = e.elements();
        if (count > Integer.MAX_VALUE - 8) throw new IOException(prefix + ": " + name + " has " + count + " elements, more than one array holds");
        float[] out = new float[(int) count];
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, e.size())).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        FileChannel channel = shards[e.shard()];
        long position = e.offset();
        int done = 0;
        while (done < out.length) {
            int n = Math.min(out.length - done, buf.capacity() / width);
            buf.clear().limit(n * width);
            while (buf.hasRemaining()) {
                if (channel.read(buf, position + buf.position()) < 0) throw new EOFException(prefix + ": " + name + " ends early (its shard shrank?)");
            }
            position += n * width;
            crc.update(buf.array(), 0, n * width);
            for (int i = 0; i < n; i++) {
                out[done + i] = switch (e.dtype()) {
                    case BundleEntry.DT_FLOAT -> buf.getFloat(4 * i);
                    case BundleEntry.DT_DOUBLE -> (float) buf.getDouble(8 * i);
                    case BundleEntry.DT_HALF -> Float.float16ToFloat(buf.getShort(2 * i));
                    default -> Float.intBitsToFloat((buf.getShort(2 * i) & 0xffff) << 16); // bfloat16
                };
            }
            done += n;
        }
        if (Crc.mask((int) crc.getValue()) != e.crc()) throw new IOException(prefix + ": " + name + " fails its checksum (the data file is corrupt)");
        return out;
    }

    private BundleEntry entry(String name) throws IOException {
        BundleEntry e = entries.get(name);
        if (e == null) throw new IOException(prefix + " has no variable " + name);
        return e;
    }

    @Override
    public void close() throws IOException {
        for (FileChannel c : shards) c.close();
    }
}
