package dev.llmsuite.engine.generate.json;

import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A schema over a vocabulary: the tokens each JSON state allows, computed once per state by walking the vocabulary's
 * trie and kept (least recently used first out, at most {@link #CACHED_STATES}), so a request whose schema was seen
 * before (or a state met again: inside a string, after a property) pays only a lookup per token.
 * Thread-safe: sequences on several decode threads may share one grammar.
 */
public final class JsonGrammar {
    /** States whose masks are kept: 256 × 50,257 bits is 1.6 MB a grammar. */
    static final int CACHED_STATES = 256;

    private final SchemaNode root;
    private final TokenTrie trie;
    private final int endToken;
    private final Map<JsonState, BitSet> masks = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<JsonState, BitSet> eldest) {
            return size() > CACHED_STATES;
        }
    };

    /** @param endToken the end-of-text token, allowed where the text is complete (a top-level number may end there) */
    public JsonGrammar(SchemaNode root, TokenTrie trie, int endToken) {
        this.root = root;
        this.trie = trie;
        this.endToken = endToken;
    }

    /** The tokens the shortest complete answer takes as this vocabulary writes it: max_tokens below it cannot be honoured. */
    public int minTokens() {
        return closeCost(JsonState.start(root));
    }

    /**
     * The tokens that complete the text from {@code state}: its shortest completion ({@link JsonState#closingBytes()})
     * written with the longest tokens that spell it, plus the end token where the value ends with the text. Closing
     * along it takes exactly that many tokens, each one fewer than the last.
     */
    int closeCost(JsonState state) {
        if (state.done()) return 0;
        return closingTokens(state.closingBytes()).length + (state.endsWithText() ? 1 : 0);
    }

    /** The first token of the shortest completion, or the end token when the text is complete. */
    int closingToken(JsonState state) {
        byte[] bytes = state.closingBytes();
        return bytes.length == 0 ? endToken : closingTokens(bytes)[0];
    }

    private int[] closingTokens(byte[] bytes) {
        int[] tokens = new int[bytes.length];
        int n = 0;
        for (int i = 0; i < bytes.length; ) {
            long match = trie.longestToken(bytes, i);
            int length = (int) match;
            if (length == 0) throw new IllegalStateException("the vocabulary cannot spell byte " + (bytes[i] & 0xff));
            tokens[n++] = (int) (match >>> 32);
            i += length;
        }
        return Arrays.copyOf(tokens, n);
    }

    /** A fresh constraint for one sequence. */
    public JsonConstraint constraint() {
        return new JsonConstraint(this, JsonState.start(root));
    }

    TokenTrie trie() {
        return trie;
    }

    int endToken() {
        return endToken;
    }

    BitSet allowed(JsonState state) {
        synchronized (masks) {
            BitSet cached = masks.get(state);
            if (cached != null) return cached;
        }
        BitSet computed = trie.allowed(state); // outside the lock: another thread's lookups go on meanwhile
        synchronized (masks) {
            masks.put(state, computed);
        }
        return computed;
    }
}
