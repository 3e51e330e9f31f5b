package dev.llmsuite.engine.generate.json;

import java.util.Arrays;
import java.util.BitSet;

/**
 * A vocabulary as a trie of its tokens' bytes, so the tokens a JSON state allows are found by walking the trie once
 * from that state: a branch the state refuses is cut with everything under it, never tried token by token.
 */
public final class TokenTrie {
    private static final int[] NO_BYTES = new int[0];
    private static final Node[] NO_NODES = new Node[0];

    private static final class Node {
        int[] bytes = NO_BYTES;
        Node[] children = NO_NODES;
        int token = -1;

        Node child(int b) {
            int i = Arrays.binarySearch(bytes, b);
            if (i >= 0) return children[i];
            i = -i - 1;
            Node n = new Node();
            int[] nb = new int[bytes.length + 1];
            Node[] nc = new Node[children.length + 1];
            System.arraycopy(bytes, 0, nb, 0, i);
            System.arraycopy(children, 0, nc, 0, i);
            nb[i] = b;
            nc[i] = n;
            System.arraycopy(bytes, i, nb, i + 1, bytes.length - i);
            System.arraycopy(children, i, nc, i + 1, children.length - i);
            bytes = nb;
            children = nc;
            return n;
        }
    }

    private final Node root = new Node();
    private final byte[][] tokens;

    /** @param tokens each id's bytes; null or empty for ids that are never generated here (special tokens) */
    public TokenTrie(byte[][] tokens) {
        this.tokens = tokens;
        for (int id = 0; id < tokens.length; id++) {
            byte[] t = tokens[id];
            if (t == null || t.length == 0) continue;
            Node n = root;
            for (byte b : t) n = n.child(b & 0xff);
            if (n.token < 0) n.token = id;
        }
    }

    int size() {
        return tokens.length;
    }

    byte[] bytes(int token) {
        return token >= 0 && token < tokens.length ? tokens[token] : null;
    }

    /**
     * The longest token that spells {@code bytes} from {@code from} on: its id in the high half, its length in the low
     * half; 0 when none does (never for a vocabulary with every byte).
     */
    long longestToken(byte[] bytes, int from) {
        Node n = root;
        long best = 0;
        for (int i = from; i < bytes.length; i++) {
            int at = Arrays.binarySearch(n.bytes, bytes[i] & 0xff);
            if (at < 0) break;
            n = n.children[at];
            if (n.token >= 0) best = ((long) n.token << 32) | (i + 1 - from);
        }
        return best;
    }

    /** Every token whose bytes the state accepts, all of them. */
    BitSet allowed(JsonState from) {
        BitSet out = new BitSet(tokens.length);
        walk(root, from, out);
        return out;
    }

    private static void walk(Node node, JsonState state, BitSet out) {
        for (int i = 0; i < node.bytes.length; i++) {
            JsonState next = state.feed(node.bytes[i]);
            if (next == null) continue;
            Node child = node.children[i];
            if (child.token >= 0) out.set(child.token);
            if (child.bytes.length > 0) walk(child, next, out);
        }
    }
}
