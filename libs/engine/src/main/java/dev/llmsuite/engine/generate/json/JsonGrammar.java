package dev.llmsuite.engine.generate.json;

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
    static final int CACHED_STATES = 2048;

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

    /** The fewest bytes (so tokens) a complete answer takes: max_tokens below it cannot be honoured. */
    public int minTokens() {
        return JsonState.start(root).closeCost();
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
