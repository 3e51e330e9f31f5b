package dev.llmsuite.engine.generate;

/**
 * Restricts which token a sequence may take next (structured output): each step the decoder's logits go through
 * {@link #next}, which picks an allowed token, and the constraint follows what was taken. One instance per sequence;
 * called on the decode thread only.
 */
public interface TokenConstraint {

    /**
     * The next token: drawn by {@code sampler} among the tokens allowed now, and such that what is still required can
     * be completed within {@code tokensLeft - 1} more tokens. May change {@code logits} (disallowed entries become
     * -infinity). The constraint then moves past the token.
     */
    int next(float[] logits, TokenSampler sampler, int tokensLeft);

    /** Whether what was generated is complete (the sequence should end now). */
    boolean complete();
}
