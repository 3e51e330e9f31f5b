package dev.llmsuite.engine.io.tf;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One variable of a checkpoint, as its BundleEntryProto in the index says (tensor_bundle.proto):
 *
 * <pre>
 *   1 dtype     DataType enum (DT_FLOAT 1, DT_DOUBLE 2, DT_BFLOAT16 14, DT_HALF 19, …)
 *   2 shape     TensorShapeProto { 2 dim: repeated Dim { 1 size }, 3 unknown_rank }
 *   3 shard_id  which data file, 4 offset and 5 size: where its bytes lie in it
 *   6 crc32c    the masked CRC32C of those bytes (fixed32)
 *   7 slices    a partitioned variable's pieces: not read here
 * </pre>
 *
 * Parsed and checked on its own: a known shape with non-negative dimensions whose element count times the type's width
 * equals size (for fixed-width types); where it lies is checked against the shards by {@link TensorBundle}.
 */
record BundleEntry(int dtype, long[] shape, int shard, long offset, long size, int crc) {
    static final int DT_FLOAT = 1, DT_DOUBLE = 2, DT_BFLOAT16 = 14, DT_HALF = 19;
    /** TensorFlow allows rank 254; nothing here needs more than a few. */
    static final int MAX_RANK = 64;

    /** Bytes per element of a fixed-width type, 0 for others (strings, resources, variants, complex, quantized). */
    static int width(int dtype) {
        return switch (dtype) {
            case DT_FLOAT, 3 /* int32 */, 22 /* uint32 */ -> 4;
            case DT_DOUBLE, 9 /* int64 */, 23 /* uint64 */ -> 8;
            case DT_HALF, DT_BFLOAT16, 5 /* int16 */, 17 /* uint16 */ -> 2;
            case 4 /* uint8 */, 6 /* int8 */, 10 /* bool */ -> 1;
            default -> 0;
        };
    }

    static boolean floating(int dtype) {
        return dtype == DT_FLOAT || dtype == DT_DOUBLE || dtype == DT_HALF || dtype == DT_BFLOAT16;
    }

    long elements() {
        long n = 1;
        for (long d : shape) n *= d; // checked not to overflow in parse
        return n;
    }

    static BundleEntry parse(String name, byte[] proto) throws IOException {
        ProtoReader p = new ProtoReader(proto);
        long dtype = 0, shard = 0, offset = 0, size = 0;
        int crc = 0;
        boolean crcSeen = false;
        long[] shape = null;
        for (int field; (field = p.next()) != 0; ) {
            switch (field) {
                case 1 -> dtype = p.integer();
                case 2 -> shape = shape(name, p.message());
                case 3 -> shard = p.integer();
                case 4 -> offset = p.integer();
                case 5 -> size = p.integer();
                case 6 -> { crc = p.fixed32(); crcSeen = true; }
                case 7 -> throw new IOException(name + " is saved in slices (a partitioned variable), which this reader does not join");
                default -> p.skip();
            }
        }
        if (dtype < 1 || dtype > 1000) throw new IOException(name + ": data type " + dtype);
        if (shape == null) throw new IOException(name + " has no shape");
        if (shard < 0 || shard > Integer.MAX_VALUE) throw new IOException(name + ": shard " + shard);
        if (offset < 0 || size < 0) throw new IOException(name + ": offset " + offset + ", size " + size);
        if (!crcSeen) throw new IOException(name + " has no checksum");
        BundleEntry e = new BundleEntry((int) dtype, shape, (int) shard, offset, size, crc);
        int width = width(e.dtype);
        if (width > 0 && (e.elements() > Long.MAX_VALUE / width || e.elements() * width != size)) {
            throw new IOException(name + ": shape " + Arrays.toString(shape) + " of " + width + "-byte elements is not its " + size + " bytes");
        }
        return e;
    }

    private static long[] shape(String name, ProtoReader p) throws IOException {
        List<Long> dims = new ArrayList<>();
        long elements = 1;
        for (int field; (field = p.next()) != 0; ) {
            if (field == 3) {
                if (p.integer() != 0) throw new IOException(name + " has a shape of unknown rank");
            } else if (field == 2) {
                ProtoReader dim = p.message();
                long size = 0;
                for (int f; (f = dim.next()) != 0; ) {
                    if (f == 1) size = dim.integer(); else dim.skip();
                }
                if (size < 0) throw new IOException(name + " has a dimension of " + size);
                if (dims.size() == MAX_RANK) throw new IOException(name + " has more than " + MAX_RANK + " dimensions");
                if (size > 0 && elements > Long.MAX_VALUE / size) throw new IOException(name + ": its dimensions overflow a count of elements");
                elements *= size;
                dims.add(size);
            } else {
                p.skip();
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }
}
