package dev.llmsuite.engine.io.torch;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted reader of Python's pickle stream, for the pickles inside PyTorch checkpoints: it understands the
 * opcodes of protocols 2 to 4 that build plain data (numbers, strings, bytes, tuples, lists, dicts) and calls only
 * the few constructors {@code torch.save} needs, named in {@link #ALLOWED}, by building records here: nothing in a
 * file is ever executed or loaded as a class. Anything else (another global, NEWOBJ, sets, extensions) is refused
 * with its name. Lengths are checked against the bytes left, so a hostile stream cannot make it allocate more than
 * its own size (a few objects per byte).
 *
 * <p>Over 250 lines because the opcode table is the point: every accepted opcode, and what it may build, in one
 * switch a reviewer can check against the pickle protocol.
 *
 * <p>Values: {@code Long} (or {@code BigInteger} beyond 64 bits), {@code Double}, {@code Boolean}, {@code String}, {@code byte[]}, {@link Tuple},
 * {@code List<Object>}, {@code Map<Object, Object>} (insertion order), {@link #NONE}, and what the callbacks return
 * for persistent ids and tensor rebuilds.
 */
final class Pickle {
    /** Python's None (the stack cannot hold null). */
    static final Object NONE = new Object() {
        @Override public String toString() { return "None"; }
    };

    /** A tuple: immutable, unlike a list. */
    record Tuple(List<Object> items) {
        Object get(int i) { return items.get(i); }
        int size() { return items.size(); }
    }

    /** A module-level name the stream refers to; only those in {@link #ALLOWED} may be called. */
    record Global(String module, String name) {
        String qualified() { return module + "." + name; }
    }

    /** What the checkpoint container makes of the two things a pickle cannot hold itself. */
    interface Callbacks {
        /** A persistent id (torch: a storage reference) to the object it stands for. */
        Object persistentLoad(Tuple pid) throws IOException;

        /** torch._utils._rebuild_tensor[_v2](storage, offset, size, stride, ...) to a tensor. */
        Object rebuildTensor(Tuple args) throws IOException;
    }

    static final Set<String> ALLOWED = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter");
    /** Storage classes name a dtype; they are never called, only read by name. */
    static final Set<String> STORAGES = Set.of("FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage",
            "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage");

    private static final Object MARK = new Object();

    private final ByteBuffer in;
    private final Callbacks callbacks;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private Pickle(ByteBuffer in, Callbacks callbacks) {
        this.in = in.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.callbacks = callbacks;
    }

    /** Reads one pickle from the buffer's position; the position moves past its STOP. */
    static Object read(ByteBuffer in, Callbacks callbacks) throws IOException {
        Pickle p = new Pickle(in, callbacks);
        try {
            Object result = p.run();
            in.position(in.position() + p.in.position());
            return result;
        } catch (IOException | RuntimeException e) {
            throw new IOException("pickle byte " + p.in.position() + ": " + e.getMessage(), e);
        }
    }

    private Object run() throws IOException {
        while (true) {
            need(1);
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80 -> { int proto = u8(); if (proto > 5) throw fail("pickle protocol " + proto); } // PROTO
                case 0x95 -> { need(8); in.getLong(); }                                 // FRAME: a hint only
                case '.' -> {                                                            // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) throw fail("STOP with " + stack.size() + " values on the stack");
                    return stack.getFirst();
                }
                case '(' -> marks.add(stack.size());                                     // MARK
                case 'N' -> push(NONE);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> { need(4); push((long) in.getInt()); }                       // BININT
                case 'K' -> push((long) u8());                                           // BININT1
                case 'M' -> { need(2); push((long) (in.getShort() & 0xFFFF)); }          // BININT2
                case 0x8a -> push(longOf(u8()));                                         // LONG1
                case 'G' -> { need(8); push(in.order(ByteOrder.BIG_ENDIAN).getDouble()); in.order(ByteOrder.LITTLE_ENDIAN); }
                case 'X' -> push(text(u32()));                                           // BINUNICODE
                case 0x8c -> push(text(u8()));                                           // SHORT_BINUNICODE
                case 0x8d -> { need(8); push(text(in.getLong())); }                      // BINUNICODE8
                case 'T' -> push(latin1(u32()));                                         // BINSTRING (protocol 2, Python 2)
                case 'U' -> push(latin1(u8()));                                          // SHORT_BINSTRING
                case 'B' -> push(bytes(u32()));                                          // BINBYTES
                case 'C' -> push(bytes(u8()));                                           // SHORT_BINBYTES
                case ')' -> push(new Tuple(List.of()));
                case 0x85 -> push(new Tuple(List.of(pop())));
                case 0x86 -> { Object b = pop(), a = pop(); push(new Tuple(List.of(a, b))); }
                case 0x87 -> { Object c = pop(), b = pop(), a = pop(); push(new Tuple(List.of(a, b, c))); }
                case 't' -> push(new Tuple(List.copyOf(popToMark())));
                case ']' -> push(new ArrayList<>());
                case '}' -> push(new LinkedHashMap<>());
                case 'a' -> { Object v = pop(); list(peek()).add(v); }                   // APPEND
                case 'e' -> { List<Object> items = popToMark(); list(peek()).addAll(items); } // APPENDS
                case 's' -> { Object v = pop(), k = pop(); dict(peek()).put(key(k), v); } // SETITEM
                case 'u' -> {                                                            // SETITEMS
                    List<Object> kv = popToMark();
                    if (kv.size() % 2 != 0) throw fail("SETITEMS with an odd count");
                    Map<Object, Object> d = dict(peek());
                    for (int i = 0; i < kv.size(); i += 2) d.put(key(kv.get(i)), kv.get(i + 1));
                }
                case 'c' -> push(global(line(), line()));                                // GLOBAL
                case 0x93 -> { Object name = pop(), module = pop(); push(global(str(module), str(name))); } // STACK_GLOBAL
                case 'R' -> { Object args = pop(), f = pop(); push(call(f, args)); }     // REDUCE
                case 'b' -> {                                                            // BUILD: a state torch attaches
                    pop();
                    Object target = peek();
                    if (!(target instanceof Map) && !(target instanceof TorchTensor)) throw fail("BUILD on " + describe(target));
                }
                case 'Q' -> {                                                            // BINPERSID
                    if (!(pop() instanceof Tuple pid)) throw fail("a persistent id that is not a tuple");
                    push(callbacks.persistentLoad(pid));
                }
                case 'q' -> memo.put((long) u8(), peek());                               // BINPUT
                case 'r' -> memo.put(u32(), peek());                                     // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek());                       // MEMOIZE
                case 'h' -> push(memoGet(u8()));                                         // BINGET
                case 'j' -> push(memoGet(u32()));                                        // LONG_BINGET
                default -> throw fail(String.format("opcode 0x%02x is not one this reader accepts", op));
            }
        }
    }

    private Object call(Object f, Object args) throws IOException {
        if (!(f instanceof Global g)) throw fail("REDUCE on " + describe(f));
        if (!(args instanceof Tuple t)) throw fail("REDUCE with arguments that are not a tuple");
        return switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                if (t.size() != 0) throw fail("OrderedDict with arguments");
                yield new LinkedHashMap<>();
            }
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> callbacks.rebuildTensor(t);
            case "torch._utils._rebuild_parameter" -> {
                if (t.size() < 1 || !(t.get(0) instanceof TorchTensor tensor)) throw fail("_rebuild_parameter without a tensor");
                yield tensor;
            }
            default -> throw fail("calling " + g.qualified() + " is not allowed");
        };
    }

    private Global global(String module, String name) throws IOException {
        Global g = new Global(module, name);
        boolean storage = module.equals("torch") && STORAGES.contains(name);
        if (!storage && !ALLOWED.contains(g.qualified())) {
            throw fail("global " + g.qualified() + " is not allowed (this reader builds tensors and plain containers only; "
                    + "it never runs code from a file)");
        }
        return g;
    }

    private Object memoGet(long index) throws IOException {
        Object v = memo.get(index);
        if (v == null) throw fail("memo " + index + " was never stored");
        return v;
    }

    /** Keys are strings, integers, booleans or None: a tuple key could hold a list that holds it, and hashing would not end. */
    private static Object key(Object k) throws IOException {
        if (k instanceof String || k instanceof Long || k instanceof Boolean || k == NONE) return k;
        throw fail("a dict key that is " + describe(k));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) throws IOException {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw fail("APPEND to " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o) throws IOException {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw fail("SETITEM on " + describe(o));
    }

    private static String str(Object o) throws IOException {
        if (o instanceof String s) return s;
        throw fail("expected a string, found " + describe(o));
    }

    static String describe(Object o) {
        return o == null ? "nothing" : o instanceof Global g ? g.qualified() : o.getClass().getSimpleName();
    }

    private void push(Object o) { stack.add(o); }

    private Object pop() throws IOException {
        int floor = marks.isEmpty() ? 0 : marks.getLast();
        if (stack.size() <= floor) throw fail("stack underflow");
        return stack.removeLast();
    }

    private Object peek() throws IOException {
        if (stack.isEmpty()) throw fail("stack underflow");
        return stack.getLast();
    }

    private List<Object> popToMark() throws IOException {
        if (marks.isEmpty()) throw fail("no MARK");
        int at = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(at, stack.size()));
        stack.subList(at, stack.size()).clear();
        return items;
    }

    private void need(long n) throws IOException {
        if (n < 0 || n > in.remaining()) throw fail("needs " + n + " bytes, " + in.remaining() + " remain");
    }

    private int u8() throws IOException { need(1); return in.get() & 0xFF; }

    private long u32() throws IOException { need(4); return in.getInt() & 0xFFFFFFFFL; }

    /** LONG1: n bytes of two's complement, little-endian; a Long when it fits, else a BigInteger (torch's legacy magic). */
    private Object longOf(int n) throws IOException {
        if (n > 32) throw fail("an integer of " + n + " bytes");
        byte[] b = bytes(n);
        if (n == 0) return 0L;
        byte[] bigEndian = new byte[n];
        for (int i = 0; i < n; i++) bigEndian[i] = b[n - 1 - i];
        BigInteger v = new BigInteger(bigEndian);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private byte[] bytes(long n) throws IOException {
        need(n);
        byte[] b = new byte[(int) n];
        in.get(b);
        return b;
    }

    private String text(long n) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes(n))).toString();
        } catch (CharacterCodingException e) {
            throw fail("a string that is not UTF-8");
        }
    }

    private String latin1(long n) throws IOException { return new String(bytes(n), StandardCharsets.ISO_8859_1); }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = u8();
            if (b == '\n') return sb.toString();
            if (sb.length() > 256) throw fail("a GLOBAL name over 256 characters");
            sb.append((char) b);
        }
    }

    private static IOException fail(String why) { return new IOException(why); }
}
