package dev.llmsuite.engine.generate.json;

import dev.llmsuite.engine.generate.TokenConstraint;
import dev.llmsuite.engine.generate.TokenSampler;
import java.util.BitSet;

/**
 * One sequence's structured output: each step only the tokens its {@link JsonGrammar} allows from the current state
 * can be drawn, and a drawn token that would leave too few tokens to complete the JSON is replaced by the first token
 * of the shortest completion, so every answer parses and validates whatever the model's weights, as long as
 * max_tokens is at least {@link JsonGrammar#minTokens()}. (Replacing a drawn token changes the distribution only in
 * the last tokens of a budget that would otherwise be too short to close the JSON.)
 */
public final class JsonConstraint implements TokenConstraint {
    private final JsonGrammar grammar;
    private JsonState state;
    private boolean ended;

    JsonConstraint(JsonGrammar grammar, JsonState start) {
        this.grammar = grammar;
        this.state = start;
    }

    @Override
    public int next(float[] logits, TokenSampler sampler, int tokensLeft) {
        BitSet allowed = grammar.allowed(state);
        boolean mayEnd = state.canEndHere();
        int end = grammar.endToken();
        for (int i = 0; i < logits.length; i++) {
            if (!allowed.get(i) && !(mayEnd && i == end)) logits[i] = Float.NEGATIVE_INFINITY;
        }
        int token = allowed.isEmpty() && !mayEnd ? -1 : sampler.next(logits);
        JsonState after = token == end && mayEnd ? state : feed(state, token);
        // bytes bound tokens from above: the exact count in tokens only when the bytes alone do not fit
        if (after == null || (token != end && after.closeCost() > tokensLeft - 1 && grammar.closeCost(after) > tokensLeft - 1)) {
            token = grammar.closingToken(state);
            after = token == end ? state : feed(state, token);
        }
        if (token == end) ended = true;
        state = after;
        return token;
    }

    private JsonState feed(JsonState from, int token) {
        byte[] bytes = grammar.trie().bytes(token);
        if (bytes == null || bytes.length == 0) return null;
        JsonState s = from;
        for (int i = 0; i < bytes.length && s != null; i++) s = s.feed(bytes[i] & 0xff);
        return s;
    }

    @Override
    public boolean complete() {
        return state.done() || ended;
    }
}
