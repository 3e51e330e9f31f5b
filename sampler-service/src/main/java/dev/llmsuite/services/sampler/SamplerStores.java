package dev.llmsuite.services.sampler;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The sampler's state, in five Kafka Streams key-value stores (RocksDB on the replica's disk, each with its
 * changelog topic {@code <application id>-<store>-changelog}, so a restarted or new replica gets it back).
 * Every key starts with the dataset, and a dataset lives on one partition, so on one task:
 *
 * <pre>
 * store               key                                   value
 * sampler-datasets    dataset                               {@link DatasetProgress}: spec, epoch, counters, window-stream tail
 * sampler-documents   dataset/o/&lt;doc&gt;                        an open document: next chunk sequence, tokens so far
 *                     dataset/c/&lt;doc&gt;/&lt;seq&gt;                  an open document's chunk ids
 *                     dataset/s/&lt;doc&gt;                        a document seen whole (1: accepted, 0: dropped as a duplicate)
 * sampler-stream      dataset/&lt;document index&gt;/&lt;piece&gt;      the accepted documents, in order: later epochs read them
 * sampler-windows     dataset/shuffle/&lt;slot&gt;                 the shuffle buffer's windows
 *                     dataset/TRAIN|VALIDATION/&lt;i&gt;           the windows of the batch being filled
 * sampler-dedup       dataset/x/&lt;sha-256&gt;                    documents' hashes (exact duplicates)
 *                     dataset/g/&lt;id&gt;                         MinHash signatures; dataset/b/&lt;band key&gt;: their ids per band
 * </pre>
 *
 * A document id is written as {@code length:id}, so one id is never a prefix of another's keys.
 */
final class SamplerStores {
    static final String DATASETS = "sampler-datasets";
    static final String DOCUMENTS = "sampler-documents";
    static final String STREAM = "sampler-stream";
    static final String WINDOWS = "sampler-windows";
    static final String DEDUP = "sampler-dedup";
    static final List<String> ALL = List.of(DATASETS, DOCUMENTS, STREAM, WINDOWS, DEDUP);

    private static final StringSerializer KEYS = new StringSerializer();
    private static final HexFormat HEX = HexFormat.of();

    final KeyValueStore<String, byte[]> datasets;
    final KeyValueStore<String, byte[]> documents;
    final KeyValueStore<String, byte[]> stream;
    final KeyValueStore<String, byte[]> windows;
    final KeyValueStore<String, byte[]> dedup;

    private SamplerStores(KeyValueStore<String, byte[]> datasets, KeyValueStore<String, byte[]> documents,
                          KeyValueStore<String, byte[]> stream, KeyValueStore<String, byte[]> windows,
                          KeyValueStore<String, byte[]> dedup) {
        this.datasets = datasets;
        this.documents = documents;
        this.stream = stream;
        this.windows = windows;
        this.dedup = dedup;
    }

    /** The stores of the task the context belongs to. */
    static SamplerStores of(ProcessorContext<?, ?> context) {
        return new SamplerStores(context.getStateStore(DATASETS), context.getStateStore(DOCUMENTS), context.getStateStore(STREAM),
                context.getStateStore(WINDOWS), context.getStateStore(DEDUP));
    }

    /** A document id inside a key: {@code length:id}. */
    static String document(String id) {
        return id.length() + ":" + id;
    }

    /** A number inside a key, fixed width, so that keys sort as the numbers do. */
    static String ordinal(long n) {
        return HEX.toHexDigits(n);
    }

    /** Deletes every entry whose key starts with the prefix. */
    static void deletePrefix(KeyValueStore<String, byte[]> store, String prefix) {
        List<String> keys = new ArrayList<>();
        try (var it = store.prefixScan(prefix, KEYS)) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        keys.forEach(store::delete);
    }

    /** The int arrays stored under a prefix (a document's pieces), joined in key order. */
    static int[] intsUnder(KeyValueStore<String, byte[]> store, String prefix) {
        List<byte[]> pieces = new ArrayList<>();
        try (var it = store.prefixScan(prefix, KEYS)) {
            it.forEachRemaining(kv -> pieces.add(kv.value));
        }
        int[] joined = new int[pieces.stream().mapToInt(p -> p.length / 4).sum()];
        IntBuffer at = IntBuffer.wrap(joined);
        for (byte[] p : pieces) at.put(ByteBuffer.wrap(p).asIntBuffer());
        return joined;
    }

    static byte[] ints(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4);
        b.asIntBuffer().put(values);
        return b.array();
    }

    static int[] ints(byte[] bytes) {
        int[] values = new int[bytes.length / 4];
        ByteBuffer.wrap(bytes).asIntBuffer().get(values);
        return values;
    }

    /** A window as stored: index, length, inputs, targets, and the document starts when packing. */
    static byte[] window(WindowStream.Window w) {
        int n = w.input().length;
        ByteBuffer b = ByteBuffer.allocate(13 + n * (w.documentStarts() == null ? 8 : 12));
        b.putLong(w.index()).putInt(n).put((byte) (w.documentStarts() == null ? 0 : 1));
        b.asIntBuffer().put(w.input()).put(w.target()).put(w.documentStarts() == null ? new int[0] : w.documentStarts());
        return b.array();
    }

    static WindowStream.Window window(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long index = b.getLong();
        int n = b.getInt();
        boolean packed = b.get() == 1;
        var ints = b.asIntBuffer();
        int[] input = new int[n], target = new int[n], starts = packed ? new int[n] : null;
        ints.get(input).get(target);
        if (packed) ints.get(starts);
        return new WindowStream.Window(index, input, target, starts);
    }
}
