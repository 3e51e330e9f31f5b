package dev.llmsuite.engine.io.torch;

import dev.llmsuite.engine.io.TensorFile;
import dev.llmsuite.engine.io.torch.Pickle.Global;
import dev.llmsuite.engine.io.torch.Pickle.Tuple;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A PyTorch checkpoint ({@code torch.save} of a state dict: {@code pytorch_model.bin}) in either of its layouts:
 *
 * <pre>
 *   zip (torch ≥ 1.6)   ARCHIVE/data.pkl (the dict; each storage a persistent id ('storage', torch.XStorage, key,
 *                       location, elements)) and ARCHIVE/data/KEY (each storage's raw little-endian bytes)
 *   legacy (older)      pickles of the magic number, the protocol (1001) and system info, then the dict (persistent
 *                       ids ('storage', torch.XStorage, key, location, elements, view)), then the sorted storage keys,
 *                       then per key an int64 element count and the raw bytes
 * </pre>
 *
 * The pickles go through {@link Pickle}, which builds tensors and plain containers and never runs code. Every tensor
 * is checked (contiguous, inside its storage) and every storage against its bytes in the file before any is read.
 * Slightly over 250 lines: the two layouts share the tensor checks and the reading, kept together.
 */
public final class TorchCheckpointFile implements TensorFile {
    /** data.pkl and the legacy pickles are small (a state dict's structure); this bounds them. */
    static final long MAX_PICKLE_BYTES = 64L << 20;
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);

    private final Path path;
    private final Map<String, TorchTensor> tensors;
    private final Map<String, long[]> shapes;
    /** Legacy: where each storage's bytes start in the file. Zip: null (read through the archive's entries). */
    private final Map<String, Long> legacyStarts;
    private final ZipFile zip;
    private final String archive;

    private TorchCheckpointFile(Path path, Map<String, TorchTensor> tensors, Map<String, Long> legacyStarts, ZipFile zip, String archive) {
        this.path = path;
        this.tensors = tensors;
        this.legacyStarts = legacyStarts;
        this.zip = zip;
        this.archive = archive;
        Map<String, long[]> s = new LinkedHashMap<>();
        tensors.forEach((k, t) -> s.put(k, t.shape().clone()));
        this.shapes = Collections.unmodifiableMap(s);
    }

    /** Whether a file starts as a PyTorch checkpoint does (a zip, or the legacy magic pickle). */
    public static boolean looksLike(byte[] head) {
        boolean zipMagic = head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        boolean legacy = head.length >= 4 && (head[0] & 0xFF) == 0x80 && head[1] == 2 && (head[2] & 0xFF) == 0x8a && head[3] == 10;
        return zipMagic || legacy;
    }

    public static TorchCheckpointFile open(Path path) throws IOException {
        byte[] head = new byte[4];
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.wrap(head), 0);
        }
        if (!looksLike(head)) throw new IOException(path + ": not a PyTorch checkpoint (neither a zip nor the legacy magic)");
        return head[0] == 'P' ? openZip(path) : openLegacy(path);
    }

    private static TorchCheckpointFile openZip(Path path) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (IOException e) {
            throw located(path, e);
        }
        try {
            ZipEntry pkl = null;
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (e.getName().endsWith("/data.pkl") && e.getName().indexOf('/') == e.getName().length() - "/data.pkl".length()) {
                    if (pkl != null) throw new IOException(path + ": two data.pkl entries");
                    pkl = e;
                }
            }
            if (pkl == null) throw new IOException(path + ": a zip without ARCHIVE/data.pkl (not a torch.save file)");
            String archive = pkl.getName().substring(0, pkl.getName().length() - "/data.pkl".length());
            byte[] bytes;
            try (InputStream in = zip.getInputStream(pkl)) {
                bytes = in.readNBytes((int) MAX_PICKLE_BYTES + 1);
            }
            if (bytes.length > MAX_PICKLE_BYTES) throw new IOException(path + ": data.pkl is over " + MAX_PICKLE_BYTES + " bytes");
            Map<String, TorchStorage> storages = new HashMap<>();
            Object root = Pickle.read(ByteBuffer.wrap(bytes), new Rebuilder(storages, 5));
            for (TorchStorage s : storages.values()) {
                ZipEntry data = zip.getEntry(archive + "/data/" + s.key());
                if (data == null) throw new IOException(path + ": storage " + s.key() + " has no entry in the archive");
                if (data.getSize() < s.bytes()) {
                    throw new IOException(path + ": storage " + s.key() + " claims " + s.bytes() + " bytes, its entry holds " + data.getSize());
                }
            }
            return new TorchCheckpointFile(path, stateDict(path, root), null, zip, archive);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw located(path, e);
        }
    }

    private static TorchCheckpointFile openLegacy(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, MAX_PICKLE_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            Pickle.Callbacks plain = new Rebuilder(new HashMap<>(), -1);
            if (!LEGACY_MAGIC.equals(Pickle.read(head, plain))) {
                throw new IOException("the legacy magic number is wrong");
            }
            if (!(Pickle.read(head, plain) instanceof Long protocol) || protocol != 1001) throw new IOException("legacy protocol is not 1001");
            if (!(Pickle.read(head, plain) instanceof Map<?, ?> sysInfo) || !Boolean.TRUE.equals(sysInfo.get("little_endian"))) {
                throw new IOException("not a little-endian checkpoint");
            }
            Map<String, TorchStorage> storages = new HashMap<>();
            Object root = Pickle.read(head, new Rebuilder(storages, 6));
            if (!(Pickle.read(head, plain) instanceof List<?> keys)) throw new IOException("no storage key list");
            long at = head.position();
            Map<String, Long> starts = new HashMap<>();
            ByteBuffer count = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (Object k : keys) {
                TorchStorage s = k instanceof String key ? storages.get(key) : null;
                if (s == null) throw new IOException("storage key " + k + " is used by no tensor");
                count.clear();
                if (at > size - 8 || ch.read(count, at) != 8) throw new EOFException("storage " + s.key() + " is cut short");
                long elements = count.getLong(0);
                if (elements != s.elements()) throw new IOException("storage " + s.key() + " holds " + elements + " elements, its tensors say " + s.elements());
                starts.put(s.key(), at + 8);
                if (s.bytes() > size - at - 8) throw new EOFException("storage " + s.key() + " runs past the file's end");
                at += 8 + s.bytes();
            }
            if (starts.size() != storages.size()) throw new IOException("a storage of the dict is not in the key list");
            return new TorchCheckpointFile(path, stateDict(path, root), starts, null, null);
        } catch (IOException | RuntimeException e) {
            throw located(path, e);
        }
    }

    /** The failure as an IOException whose message starts with the file. */
    private static IOException located(Path path, Exception e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof IOException io && message.startsWith(path.toString())) return io;
        return new IOException(path + ": " + message, e);
    }

    /** The tensors of a state dict (or of the dict under "state_dict" / "model", as training scripts save them). */
    private static Map<String, TorchTensor> stateDict(Path path, Object root) throws IOException {
        if (root instanceof Map<?, ?> m) {
            for (String nested : List.of("state_dict", "model")) {
                if (m.get(nested) instanceof Map<?, ?> inner) return stateDict(path, inner);
            }
            Map<String, TorchTensor> out = new LinkedHashMap<>();
            for (var e : m.entrySet()) {
                if (e.getKey() instanceof String k && e.getValue() instanceof TorchTensor t) out.put(k, t);
            }
            if (!out.isEmpty()) return Collections.unmodifiableMap(out);
        }
        throw new IOException(path + ": holds no dict of tensors (a state dict)");
    }

    @Override
    public Map<String, long[]> shapes() { return shapes; }

    @Override
    public float[] floats(String name) throws IOException {
        TorchTensor t = tensors.get(name);
        if (t == null) throw new IOException(path + ": no tensor " + name);
        TorchStorage.DType dtype = t.storage().dtype();
        if (!dtype.floating) throw new IOException(path + ": " + name + " is " + dtype.name().toLowerCase() + ", not a float tensor");
        if (t.elements() > Integer.MAX_VALUE - 8) throw new IOException(path + ": " + name + " is too large for one array");
        float[] out = new float[(int) t.elements()];
        try (InputStream in = storageBytes(t.storage())) {
            in.skipNBytes(t.offset() * dtype.bytes);
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (int done = 0; done < out.length; ) {
                int n = Math.min(out.length - done, buf.capacity() / dtype.bytes);
                buf.clear();
                int want = n * dtype.bytes;
                if (in.readNBytes(buf.array(), 0, want) != want) throw new EOFException(path + ": " + name + " is cut short");
                for (int i = 0; i < n; i++) {
                    out[done + i] = switch (dtype) {
                        case FLOAT -> buf.getFloat(4 * i);
                        case HALF -> Float.float16ToFloat(buf.getShort(2 * i));
                        case BFLOAT16 -> Float.intBitsToFloat((buf.getShort(2 * i) & 0xFFFF) << 16);
                        default -> (float) buf.getDouble(8 * i);
                    };
                }
                done += n;
            }
        }
        return out;
    }

    private InputStream storageBytes(TorchStorage s) throws IOException {
        if (zip != null) return zip.getInputStream(zip.getEntry(archive + "/data/" + s.key()));
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        ch.position(legacyStarts.get(s.key()));
        return Channels.newInputStream(ch);
    }

    @Override
    public void close() throws IOException {
        if (zip != null) zip.close();
    }

    /** Turns persistent ids into storages and rebuild calls into checked tensors. */
    private record Rebuilder(Map<String, TorchStorage> storages, int pidLength) implements Pickle.Callbacks {
        @Override
        public Object persistentLoad(Tuple pid) throws IOException {
            if (pidLength < 0) throw new IOException("a persistent id outside the state dict");
            if (pid.size() != pidLength || !"storage".equals(pid.get(0))) throw new IOException("a persistent id that is not a storage");
            if (!(pid.get(1) instanceof Global g) || TorchStorage.DType.of(g.name()) == null) throw new IOException("an unknown storage type");
            if (!(pid.get(2) instanceof String key) || !key.matches("[A-Za-z0-9_]{1,64}")) throw new IOException("a storage key that is not a plain name");
            if (!(pid.get(4) instanceof Long elements) || elements < 0) throw new IOException("storage " + key + " has no element count");
            if (pidLength == 6 && pid.get(5) != Pickle.NONE) throw new IOException("storage views (legacy view metadata) are not supported");
            TorchStorage s = new TorchStorage(key, TorchStorage.DType.of(g.name()), elements);
            TorchStorage before = storages.putIfAbsent(key, s);
            if (before != null && !before.equals(s)) throw new IOException("storage " + key + " is described two ways");
            return before != null ? before : s;
        }

        @Override
        public Object rebuildTensor(Tuple args) throws IOException {
            if (args.size() < 4 || !(args.get(0) instanceof TorchStorage storage) || !(args.get(1) instanceof Long offset)
                    || !(args.get(2) instanceof Tuple size) || !(args.get(3) instanceof Tuple stride) || size.size() != stride.size()) {
                throw new IOException("a tensor rebuild without (storage, offset, size, stride)");
            }
            if (size.size() > 8) throw new IOException("a tensor of " + size.size() + " dimensions");
            long[] shape = new long[size.size()];
            long elements = 1, expectedStride = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                if (!(size.get(i) instanceof Long d) || d < 0 || !(stride.get(i) instanceof Long st)) throw new IOException("a tensor size or stride that is not a count");
                if (d > 1 && st != expectedStride) throw new IOException("a non-contiguous tensor (a view); save a contiguous copy");
                shape[i] = d;
                elements = Math.multiplyExact(elements, d);
                expectedStride = Math.multiplyExact(expectedStride, Math.max(d, 1));
            }
            if (offset < 0 || offset > storage.elements() || elements > storage.elements() - offset) {
                throw new IOException("a tensor of " + elements + " elements at " + offset + " outside its storage of " + storage.elements());
            }
            return new TorchTensor(storage, offset, shape);
        }
    }
}
