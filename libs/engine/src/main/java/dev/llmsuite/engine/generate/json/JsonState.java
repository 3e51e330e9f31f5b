package dev.llmsuite.engine.generate.json;

import dev.llmsuite.engine.generate.json.SchemaNode.AnyNode;
import dev.llmsuite.engine.generate.json.SchemaNode.ArrayNode;
import dev.llmsuite.engine.generate.json.SchemaNode.ChoiceNode;
import dev.llmsuite.engine.generate.json.SchemaNode.FreeObjectNode;
import dev.llmsuite.engine.generate.json.SchemaNode.LiteralNode;
import dev.llmsuite.engine.generate.json.SchemaNode.NumberNode;
import dev.llmsuite.engine.generate.json.SchemaNode.ObjectNode;
import dev.llmsuite.engine.generate.json.SchemaNode.StringNode;
import dev.llmsuite.engine.generate.json.SchemaNode.ToolCallNode;
import java.util.BitSet;
import java.util.List;

/**
 * Where a JSON text stands against its schema, byte by byte: a stack of frames (the innermost value being written on
 * top), immutable, so a token's bytes can be tried from one state along every branch of the vocabulary's trie. States
 * are values (records): equal states allow the same tokens, which is what {@link JsonGrammar} caches.
 *
 * <p>{@link #minClose()} is the fewest bytes that complete the text from here; every frame keeps it exact, so the
 * decoder can always finish within its token budget by writing, one byte a token, a byte that lowers it by one
 * ({@link #closingByte()}). Over 250 lines because the seven kinds of frame are one automaton.</p>
 *
 * @param done the top-level value is complete: nothing more may be written
 */
record JsonState(Frame top, JsonState rest, boolean done) {

    static JsonState start(SchemaNode root) {
        return new JsonState(Frame.start(root), null, false);
    }

    /** The state after byte {@code b} (0-255), or null when the schema does not allow it here. */
    JsonState feed(int b) {
        JsonState s = this;
        while (true) {
            if (s.done) return null;
            Step r = s.top.step(b);
            if (r == null) return null;
            switch (r.kind) {
                case REPLACE -> {
                    return new JsonState(r.frame, s.rest, false);
                }
                case DELEGATE -> s = new JsonState(r.child, new JsonState(r.frame, s.rest, false), false); // b goes to the child
                case FINISH -> {
                    return s.pop();
                }
                case END_BEFORE -> {
                    s = s.pop();
                    if (s.done) return null; // nothing may follow the top-level value
                }
            }
        }
    }

    private JsonState pop() {
        if (rest == null) return new JsonState(null, null, true);
        return new JsonState(rest.top.childDone(), rest.rest, false);
    }

    /** The top-level value could end here (a number or literal at the top: the end of text ends it). */
    boolean canEndHere() {
        return done || (rest == null && top.canEnd());
    }

    /** The fewest bytes that complete the text from here. */
    int minClose() {
        int sum = 0;
        for (JsonState s = this; s != null && !s.done; s = s.rest) sum += s.top.minClose();
        return sum;
    }

    /**
     * The fewest tokens that complete the answer: {@link #minClose()} bytes, one a token at worst, plus the end token
     * when the top-level value ends only where the text does (a number, a literal, a value of any type).
     */
    int closeCost() {
        if (done) return 0;
        return minClose() + (endsWithText() ? 1 : 0);
    }

    /** Whether the top-level value ends only where the text does (then the end token is one more token to close). */
    boolean endsWithText() {
        if (done) return false;
        JsonState bottom = this;
        while (bottom.rest != null) bottom = bottom.rest;
        return bottom.top instanceof NumberFrame || bottom.top instanceof LiteralFrame || bottom.top instanceof AnyFrame;
    }

    /** The shortest completion from here, byte by byte ({@link #closingByte()} until complete). */
    byte[] closingBytes() {
        byte[] out = new byte[minClose()];
        JsonState s = this;
        for (int i = 0; i < out.length; i++) {
            int b = s.closingByte();
            out[i] = (byte) b;
            s = s.feed(b);
        }
        return out;
    }

    /** A printable byte that brings the text one byte closer to complete, or -1 when it is complete. */
    int closingByte() {
        int need = minClose();
        if (need == 0) return -1;
        int best = -1, bestClose = Integer.MAX_VALUE;
        for (int b = 0x20; b < 0x7f; b++) {
            JsonState t = feed(b);
            if (t == null) continue;
            int close = t.minClose();
            if (close < bestClose) {
                best = b;
                bestClose = close;
            }
        }
        return best;
    }

    // ---- frames

    enum Kind { REPLACE, DELEGATE, FINISH, END_BEFORE }

    /** What a frame does with a byte: goes on as {@code frame}, starts {@code child} with it, or ends (with or before it). */
    record Step(Kind kind, Frame frame, Frame child) {
        static final Step FINISHED = new Step(Kind.FINISH, null, null);
        static final Step ENDS_BEFORE = new Step(Kind.END_BEFORE, null, null);

        static Step go(Frame f) {
            return new Step(Kind.REPLACE, f, null);
        }

        static Step delegate(Frame self, Frame child) {
            return new Step(Kind.DELEGATE, self, child);
        }
    }

    sealed interface Frame permits ObjectFrame, FreeObjectFrame, ArrayFrame, StringFrame, NumberFrame, LiteralFrame, AnyFrame,
            ToolCallFrame {
        /** What this frame does with byte b; null: not allowed. */
        Step step(int b);

        /** The frame once the child value it delegated to is complete. */
        default Frame childDone() {
            throw new IllegalStateException(this + " has no child");
        }

        /** The value may end here (numbers and literals end when the next byte is not theirs). */
        default boolean canEnd() {
            return false;
        }

        /** The fewest bytes that finish this frame, not counting an active child's own. */
        int minClose();

        static Frame start(SchemaNode node) {
            return switch (node) {
                case ObjectNode o -> new ObjectFrame(o, ObjectFrame.START, 0, false, null, 0);
                case FreeObjectNode f -> new FreeObjectFrame(FreeObjectFrame.START);
                case ArrayNode a -> new ArrayFrame(a, ArrayFrame.START);
                case StringNode s -> new StringFrame(StringFrame.START, 0);
                case NumberNode n -> new NumberFrame(n.integer, NumberFrame.START);
                case LiteralNode l -> LiteralFrame.of(l.literals);
                case AnyNode a -> new AnyFrame(null);
                case ChoiceNode c -> new AnyFrame(c);
                case ToolCallNode t -> new ToolCallFrame(t, ToolCallFrame.PREFIX, 0, null, -1);
            };
        }
    }

    private static boolean digit(int b) {
        return b >= '0' && b <= '9';
    }

    /** An object with declared properties, written in the schema's order; optional ones may be left out. */
    record ObjectFrame(ObjectNode node, int phase, int next, boolean written, BitSet candidates, int pos) implements Frame {
        static final int START = 0, OPEN = 1, KEY = 2, VALUE = 3, IN_VALUE = 4, AFTER_VALUE = 5, AFTER_COMMA = 6;

        /** The properties that may come next: from {@code from} up to the first required one. */
        private BitSet nextKeys(int from) {
            BitSet keys = new BitSet();
            for (int i = from; i < node.properties.size(); i++) {
                keys.set(i);
                if (node.properties.get(i).required()) break;
            }
            return keys;
        }

        private boolean requiredFrom(int from) {
            for (int i = from; i < node.properties.size(); i++) if (node.properties.get(i).required()) return true;
            return false;
        }

        private Step key(int b, BitSet from, int at) {
            BitSet left = new BitSet();
            int done = -1;
            for (int c = from.nextSetBit(0); c >= 0; c = from.nextSetBit(c + 1)) {
                byte[] key = node.properties.get(c).key();
                if (at < key.length && (key[at] & 0xff) == b) {
                    left.set(c);
                    if (at + 1 == key.length) done = c;
                }
            }
            if (left.isEmpty()) return null;
            if (done >= 0) return Step.go(new ObjectFrame(node, VALUE, done, true, null, 0)); // keys end in '":', so one completes alone
            return Step.go(new ObjectFrame(node, KEY, next, written, left, at + 1));
        }

        @Override
        public Step step(int b) {
            return switch (phase) {
                case START -> b == '{' ? Step.go(new ObjectFrame(node, OPEN, 0, false, null, 0)) : null;
                case OPEN -> b == '}' && !requiredFrom(0) ? Step.FINISHED : key(b, nextKeys(0), 0);
                case KEY -> key(b, candidates, pos);
                case VALUE -> Step.delegate(new ObjectFrame(node, IN_VALUE, next, true, null, 0), Frame.start(node.properties.get(next).value()));
                case AFTER_VALUE -> {
                    if (b == '}') yield requiredFrom(next) ? null : Step.FINISHED;
                    if (b == ',') yield next < node.properties.size() ? Step.go(new ObjectFrame(node, AFTER_COMMA, next, true, null, 0)) : null;
                    yield null;
                }
                case AFTER_COMMA -> key(b, nextKeys(next), 0);
                default -> null;
            };
        }

        @Override
        public Frame childDone() {
            return new ObjectFrame(node, AFTER_VALUE, next + 1, true, null, 0);
        }

        @Override
        public int minClose() {
            return switch (phase) {
                case START -> node.minLength();
                case OPEN -> node.restFrom(0, false) + 0;
                case KEY -> {
                    int best = Integer.MAX_VALUE;
                    for (int c = candidates.nextSetBit(0); c >= 0; c = candidates.nextSetBit(c + 1)) {
                        var p = node.properties.get(c);
                        best = Math.min(best, p.key().length - pos + p.value().minLength() + node.restAfter[c + 1]);
                    }
                    yield best;
                }
                case VALUE -> node.properties.get(next).value().minLength() + node.restAfter[next + 1];
                case IN_VALUE -> node.restAfter[next + 1];
                case AFTER_VALUE -> node.restFrom(next, true);
                case AFTER_COMMA -> {
                    int best = Integer.MAX_VALUE;
                    BitSet keys = nextKeys(next);
                    for (int c = keys.nextSetBit(0); c >= 0; c = keys.nextSetBit(c + 1)) {
                        var p = node.properties.get(c);
                        best = Math.min(best, p.key().length + p.value().minLength() + node.restAfter[c + 1]);
                    }
                    yield best;
                }
                default -> throw new IllegalStateException();
            };
        }
    }

    /** Any object: string keys, any values. */
    record FreeObjectFrame(int phase) implements Frame {
        static final int START = 0, OPEN = 1, IN_KEY = 2, COLON = 3, VALUE = 4, IN_VALUE = 5, AFTER_VALUE = 6, AFTER_COMMA = 7;
        private static final Frame KEY = new StringFrame(StringFrame.START, 0);

        @Override
        public Step step(int b) {
            return switch (phase) {
                case START -> b == '{' ? Step.go(new FreeObjectFrame(OPEN)) : null;
                case OPEN -> b == '}' ? Step.FINISHED : b == '"' ? Step.delegate(new FreeObjectFrame(IN_KEY), KEY) : null;
                case COLON -> b == ':' ? Step.go(new FreeObjectFrame(VALUE)) : null;
                case VALUE -> Step.delegate(new FreeObjectFrame(IN_VALUE), new AnyFrame(null));
                case AFTER_VALUE -> b == '}' ? Step.FINISHED : b == ',' ? Step.go(new FreeObjectFrame(AFTER_COMMA)) : null;
                case AFTER_COMMA -> b == '"' ? Step.delegate(new FreeObjectFrame(IN_KEY), KEY) : null;
                default -> null;
            };
        }

        @Override
        public Frame childDone() {
            return new FreeObjectFrame(phase == IN_KEY ? COLON : AFTER_VALUE);
        }

        @Override
        public int minClose() {
            return switch (phase) {
                case START -> 2;                  // {}
                case OPEN, IN_VALUE, AFTER_VALUE -> 1; // }
                case IN_KEY, COLON -> 3;         // :0}
                case VALUE -> 2;                  // 0}
                case AFTER_COMMA -> 5;            // "":0}
                default -> throw new IllegalStateException();
            };
        }
    }

    record ArrayFrame(ArrayNode node, int phase) implements Frame {
        static final int START = 0, FIRST = 1, IN_VALUE = 2, AFTER_VALUE = 3, AFTER_COMMA = 4;

        @Override
        public Step step(int b) {
            return switch (phase) {
                case START -> b == '[' ? Step.go(new ArrayFrame(node, FIRST)) : null;
                case FIRST -> b == ']' ? Step.FINISHED : Step.delegate(new ArrayFrame(node, IN_VALUE), Frame.start(node.items));
                case AFTER_VALUE -> b == ']' ? Step.FINISHED : b == ',' ? Step.go(new ArrayFrame(node, AFTER_COMMA)) : null;
                case AFTER_COMMA -> Step.delegate(new ArrayFrame(node, IN_VALUE), Frame.start(node.items));
                default -> null;
            };
        }

        @Override
        public Frame childDone() {
            return new ArrayFrame(node, AFTER_VALUE);
        }

        @Override
        public int minClose() {
            return switch (phase) {
                case START -> 2;
                case FIRST, IN_VALUE, AFTER_VALUE -> 1;
                case AFTER_COMMA -> node.items.minLength() + 1;
                default -> throw new IllegalStateException();
            };
        }
    }

    /** A string: any characters but the quote, the backslash and control bytes; escapes as JSON has them. */
    record StringFrame(int phase, int hexLeft) implements Frame {
        static final int START = 0, CHARS = 1, ESCAPE = 2, HEX = 3;
        private static final StringFrame IN = new StringFrame(CHARS, 0);

        @Override
        public Step step(int b) {
            return switch (phase) {
                case START -> b == '"' ? Step.go(IN) : null;
                case CHARS -> b == '"' ? Step.FINISHED : b == '\\' ? Step.go(new StringFrame(ESCAPE, 0)) : b < 0x20 ? null : Step.go(IN);
                case ESCAPE -> "\"\\/bfnrt".indexOf(b) >= 0 ? Step.go(IN) : b == 'u' ? Step.go(new StringFrame(HEX, 4)) : null;
                case HEX -> Character.digit(b, 16) < 0 || b > 0x7f ? null : Step.go(hexLeft == 1 ? IN : new StringFrame(HEX, hexLeft - 1));
                default -> null;
            };
        }

        @Override
        public int minClose() {
            return switch (phase) {
                case START -> 2;
                case CHARS -> 1;
                case ESCAPE -> 2;
                case HEX -> hexLeft + 1;
                default -> throw new IllegalStateException();
            };
        }
    }

    /** A number as JSON writes one: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; integers without fraction or exponent. */
    record NumberFrame(boolean integer, int phase) implements Frame {
        static final int START = 0, MINUS = 1, ZERO = 2, INT = 3, DOT = 4, FRAC = 5, E = 6, E_SIGN = 7, EXP = 8;

        private Step to(int p) {
            return Step.go(new NumberFrame(integer, p));
        }

        @Override
        public Step step(int b) {
            return switch (phase) {
                case START -> b == '-' ? to(MINUS) : b == '0' ? to(ZERO) : digit(b) ? to(INT) : null;
                case MINUS -> b == '0' ? to(ZERO) : digit(b) ? to(INT) : null;
                case ZERO, INT -> digit(b) && phase == INT ? to(INT) : !integer && b == '.' ? to(DOT)
                        : !integer && (b == 'e' || b == 'E') ? to(E) : digit(b) ? null : Step.ENDS_BEFORE;
                case DOT -> digit(b) ? to(FRAC) : null;
                case FRAC -> digit(b) ? to(FRAC) : b == 'e' || b == 'E' ? to(E) : Step.ENDS_BEFORE;
                case E -> b == '+' || b == '-' ? to(E_SIGN) : digit(b) ? to(EXP) : null;
                case E_SIGN -> digit(b) ? to(EXP) : null;
                case EXP -> digit(b) ? to(EXP) : Step.ENDS_BEFORE;
                default -> null;
            };
        }

        @Override
        public boolean canEnd() {
            return phase == ZERO || phase == INT || phase == FRAC || phase == EXP;
        }

        @Override
        public int minClose() {
            return canEnd() ? 0 : 1;
        }
    }

    /** One of fixed JSON texts (enum, const, true/false, null), matched byte by byte. */
    record LiteralFrame(List<byte[]> literals, BitSet candidates, int pos) implements Frame {
        static LiteralFrame of(List<byte[]> literals) {
            BitSet all = new BitSet();
            all.set(0, literals.size());
            return new LiteralFrame(literals, all, 0);
        }

        @Override
        public Step step(int b) {
            BitSet left = new BitSet();
            boolean longer = false;
            for (int c = candidates.nextSetBit(0); c >= 0; c = candidates.nextSetBit(c + 1)) {
                byte[] l = literals.get(c);
                if (pos < l.length && (l[pos] & 0xff) == b) {
                    left.set(c);
                    if (l.length > pos + 1) longer = true;
                }
            }
            if (left.isEmpty()) return canEnd() ? Step.ENDS_BEFORE : null;
            return longer ? Step.go(new LiteralFrame(literals, left, pos + 1)) : Step.FINISHED;
        }

        @Override
        public boolean canEnd() {
            for (int c = candidates.nextSetBit(0); c >= 0; c = candidates.nextSetBit(c + 1)) if (literals.get(c).length == pos) return true;
            return false;
        }

        @Override
        public int minClose() {
            int best = Integer.MAX_VALUE;
            for (int c = candidates.nextSetBit(0); c >= 0; c = candidates.nextSetBit(c + 1)) best = Math.min(best, literals.get(c).length - pos);
            return best;
        }

        // byte[] compares by reference; the literals list is the node's own, so identity is the right equality
        @Override
        public boolean equals(Object o) {
            return o instanceof LiteralFrame f && f.literals == literals && f.pos == pos && f.candidates.equals(candidates);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(literals) * 31 * 31 + candidates.hashCode() * 31 + pos;
        }
    }

    /** {"name":"TOOL","arguments":{...}}: the name picks whose parameters the arguments follow. */
    record ToolCallFrame(ToolCallNode node, int phase, int pos, BitSet candidates, int tool) implements Frame {
        static final int PREFIX = 0, NAME = 1, ARGUMENTS_KEY = 2, ARGUMENTS = 3, IN_ARGUMENTS = 4, CLOSE = 5;

        @Override
        public Step step(int b) {
            return switch (phase) {
                case PREFIX -> {
                    if ((ToolCallNode.PREFIX[pos] & 0xff) != b) yield null;
                    if (pos + 1 < ToolCallNode.PREFIX.length) yield Step.go(new ToolCallFrame(node, PREFIX, pos + 1, null, -1));
                    BitSet all = new BitSet();
                    all.set(0, node.names.size());
                    yield Step.go(new ToolCallFrame(node, NAME, 0, all, -1));
                }
                case NAME -> {
                    BitSet left = new BitSet();
                    int done = -1;
                    for (int t = candidates.nextSetBit(0); t >= 0; t = candidates.nextSetBit(t + 1)) {
                        byte[] name = node.names.get(t);
                        if (pos < name.length && (name[pos] & 0xff) == b) {
                            left.set(t);
                            if (pos + 1 == name.length) done = t; // quoted names end in '"': one completes alone
                        }
                    }
                    if (left.isEmpty()) yield null;
                    yield done >= 0 ? Step.go(new ToolCallFrame(node, ARGUMENTS_KEY, 0, null, done))
                            : Step.go(new ToolCallFrame(node, NAME, pos + 1, left, -1));
                }
                case ARGUMENTS_KEY -> {
                    if ((ToolCallNode.ARGUMENTS[pos] & 0xff) != b) yield null;
                    yield Step.go(new ToolCallFrame(node, pos + 1 < ToolCallNode.ARGUMENTS.length ? ARGUMENTS_KEY : ARGUMENTS,
                            pos + 1 < ToolCallNode.ARGUMENTS.length ? pos + 1 : 0, null, tool));
                }
                case ARGUMENTS -> Step.delegate(new ToolCallFrame(node, IN_ARGUMENTS, 0, null, tool), Frame.start(node.parameters.get(tool)));
                case CLOSE -> b == '}' ? Step.FINISHED : null;
                default -> null;
            };
        }

        @Override
        public Frame childDone() {
            return new ToolCallFrame(node, CLOSE, 0, null, tool);
        }

        @Override
        public int minClose() {
            return switch (phase) {
                case PREFIX -> node.minLength() - pos;
                case NAME -> {
                    int best = Integer.MAX_VALUE;
                    for (int t = candidates.nextSetBit(0); t >= 0; t = candidates.nextSetBit(t + 1)) best = Math.min(best, node.restFrom(t, pos));
                    yield best;
                }
                case ARGUMENTS_KEY -> ToolCallNode.ARGUMENTS.length - pos + node.parameters.get(tool).minLength() + 1;
                case ARGUMENTS -> node.parameters.get(tool).minLength() + 1;
                case IN_ARGUMENTS, CLOSE -> 1;
                default -> throw new IllegalStateException();
            };
        }
    }

    /** Any JSON value, or one of several types (choice not null): the first byte says which. */
    record AnyFrame(ChoiceNode choice) implements Frame {
        private static final LiteralNode WORDS = new LiteralNode(List.of("true".getBytes(), "false".getBytes(), "null".getBytes()));
        private static final SchemaNode[] ANY = {new FreeObjectNode(), new ArrayNode(new AnyNode()), new StringNode(), new NumberNode(false), WORDS};

        @Override
        public Step step(int b) {
            if (choice == null) {
                for (SchemaNode n : ANY) {
                    Step s = Frame.start(n).step(b);
                    if (s != null) return s;
                }
                return null;
            }
            for (SchemaNode n : choice.options) {
                Step s = Frame.start(n).step(b);
                if (s != null) return s;
            }
            return null;
        }

        @Override
        public int minClose() {
            return choice == null ? 1 : choice.minLength();
        }
    }
}
