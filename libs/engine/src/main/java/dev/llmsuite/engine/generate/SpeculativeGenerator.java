package dev.llmsuite.engine.generate;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * Generation sped up by a draft: each round the draft proposes up to k tokens one by one (cheap: a smaller model, or
 * the target's own 8-bit weights), the target checks them all in one step ({@link Decoder#decodeAll}: k + 1 rows read
 * each weight once: 1.6 decode steps for 5 rows with fp32 panels on 2 cores, docs/benchmarks.md), and a run of
 * proposals is kept, plus one token of the target's own after it.
 *
 * <pre>
 *   committed: s₀ … sₙ₋₁ t        target cache: s₀ … sₙ₋₁        draft cache: a prefix of s₀ … sₙ₋₁ t
 *   draft:     feed what it lacks, then d₁ … d_k, each from its own next-token distribution q₁ … q_k
 *   target:    rows [t, d₁ … d_k] → logits p₀ … p_k (p_i: the target's logits after d_i)
 *   keep:      greedy: the longest run with argmax p_{i−1} = d_i, then argmax p_m
 *              sampling: d_i while u < P_{i−1}(d_i) / q_i(d_i) (u uniform, P the target's distribution); at the
 *              first rejection a token from max(0, P_{i−1} − q_i) renormalized; after k acceptances one from P_k
 *   commit:    d₁ … d_m and that token;  target cache keeps t, d₁ … d_m;  draft cache cut to what it computed of them
 * </pre>
 *
 * Greedy: every kept token is the target's argmax over exactly the prefix plain decoding would have, computed to the
 * same bits, so the output is the target's greedy output token for token; the draft only decides how many tokens a
 * target step yields. Sampling (Leviathan et al. 2023; Chen et al. 2023): each kept token is distributed exactly as
 * the target's own sampling (temperature, top-k, top-p: both sides use {@link TokenSampler#distribution}) would draw
 * it; the draws differ from plain sampling's, so a seeded request reproduces itself, not the plain path's text.
 *
 * Exact when the target's products are row-independent at k + 1 rows: fp32 weights (k + 1 below 16; each row its own
 * dot products, so verifying costs about k + 1 steps) or fp32 panels (any k; verifying costs a fraction of k + 1
 * steps: the speed-up).
 *
 * <p>A self-draft (the target's own model, its weights converted to 8 or 16 bits) has no cache of its own: it writes its
 * proposals' keys and values into the target's cache past what is committed, attending to the target's keys and values
 * of everything committed, and verification then writes the target's own over them. So it never takes in the prompt
 * or catches up with the tokens a round kept (a draft cache of its own needed both: the prompt again, and two tokens
 * at the start of every round that kept all k), and proposes from the target's view of the text.
 */
public final class SpeculativeGenerator {
    private final Decoder target, draft;
    private final int lookahead;
    /** A self-draft: it writes into the target's cache (see above) and has none of its own. */
    private final boolean sharedCache;

    /** What a generation did: target steps taken, tokens proposed, proposals kept. */
    public record Stats(int targetSteps, int proposed, int accepted) {
        public double acceptance() { return proposed == 0 ? 0 : (double) accepted / proposed; }
    }

    /** The tokens generated and how. */
    public record Result(int[] tokens, Stats stats) {}

    /**
     * One round's tokens to commit in order (the kept proposals, then the target's own token) with the target's logits
     * each was chosen from, and how many proposals were made and kept.
     */
    public record Round(int[] tokens, float[][] logits, int proposed, int accepted) {}

    public SpeculativeGenerator(Decoder target, Decoder draft, int lookahead) {
        if (target.weights() != ServingWeights.FP32 && target.weights() != ServingWeights.FP32_PANELS) {
            throw new IllegalArgumentException("the target must serve fp32 or fp32_panels weights to verify exactly");
        }
        if (lookahead < 1 || lookahead + 1 >= PrefixCache.MIN_ROWS) {
            throw new IllegalArgumentException("lookahead must be 1 to " + (PrefixCache.MIN_ROWS - 2));
        }
        if (draft.model().config().vocabSize() != target.model().config().vocabSize()) {
            throw new IllegalArgumentException("the draft's vocabulary differs from the target's");
        }
        this.target = target;
        this.draft = draft;
        this.lookahead = lookahead;
        this.sharedCache = draft.model() == target.model();
    }

    public Decoder draft() {
        return draft;
    }

    /** Whether the draft works in the target's cache (a self-draft), so that {@link #round} takes no draft cache. */
    public boolean sharesCache() {
        return sharedCache;
    }

    /** Up to params.maxNewTokens() tokens after prompt; stops at a stop token (not emitted), a full context, or onToken false. */
    public Result generate(int[] prompt, SamplingParams params, IntPredicate onToken) {
        int ctx = target.model().config().contextLength();
        int[] seq = prompt.length > ctx ? Arrays.copyOfRange(prompt, prompt.length - ctx, prompt.length) : prompt.clone();
        if (seq.length == 0) throw new IllegalArgumentException("empty prompt");
        int maxNewTokens = params.maxNewTokens();
        TokenSampler sampler = new TokenSampler(params);
        int[] out = new int[maxNewTokens];
        int produced = 0, steps = 0, proposed = 0, accepted = 0;
        int capacity = KvCache.capacityFor(ctx, seq.length, maxNewTokens);
        try (KvCache tc = new KvCache(target.model().backend(), target.model().config(), capacity);
             KvCache dc = sharedCache ? null : new KvCache(draft.model().backend(), draft.model().config(),
                     Math.min(draft.model().config().contextLength(), capacity))) {
            int[] committed = Arrays.copyOf(seq, seq.length + maxNewTokens); // the prompt, then every kept token
            int length = seq.length;
            int[] pending = {sampler.next(target.prefill(seq, tc))};
            steps++;
            generating:
            while (true) {
                for (int token : pending) {
                    if (produced == maxNewTokens || params.stopTokens().contains(token)) break generating;
                    out[produced++] = token;
                    committed[length++] = token;
                    if (onToken != null && !onToken.test(token)) break generating;
                }
                if (produced == maxNewTokens || tc.full()) break;
                int k = Math.min(lookahead, Math.min(maxNewTokens - produced, tc.capacity() - tc.length() - 1));
                if (dc != null) k = Math.min(k, dc.capacity() - length);
                if (k < 1) { // no room to draft: a plain step
                    pending = new int[] {sampler.next(target.decode(committed[length - 1], tc))};
                } else {
                    Round r = round(committed, length, tc, dc, k, sampler, params.temperature() > 0);
                    pending = r.tokens();
                    proposed += r.proposed();
                    accepted += r.accepted();
                }
                steps++;
            }
            return new Result(Arrays.copyOf(out, produced), new Stats(steps, proposed, accepted));
        }
    }

    /**
     * One round after committed[0, length), whose last token the target cache lacks (it holds the tokens before it)
     * and of which the draft cache holds a prefix (null when the draft {@link #sharesCache}); k proposals (k + 1 rows must
     * fit the target cache). The target cache ends holding committed[0, length) and the kept proposals; the draft cache
     * no more than it computed of them.
     */
    public Round round(int[] committed, int length, KvCache tc, KvCache dc, int k, TokenSampler sampler, boolean sampling) {
        if ((dc == null) != sharedCache) throw new IllegalArgumentException(sharedCache ? "a self-draft takes no cache of its own" : "the draft needs its cache");
        int[] proposal = new int[k];
        double[][] q = sampling ? new double[k][] : null;
        if (sharedCache) {
            int committedRows = tc.length();
            proposeFrom(draft.decode(committed[length - 1], tc), tc, proposal, q, sampler);
            tc.setLength(committedRows); // the draft's rows were scratch: verification writes the target's over them
        } else {
            int have = dc.length();
            int[] missing = Arrays.copyOfRange(committed, have, length);
            proposeFrom(have == 0 ? draft.prefill(missing, dc) : draft.decodeLast(missing, dc), dc, proposal, q, sampler);
        }
        int[] rows = new int[k + 1];
        rows[0] = committed[length - 1];
        System.arraycopy(proposal, 0, rows, 1, k);
        float[][] logits = target.decodeAll(rows, tc);
        int m = 0;
        int last;
        if (!sampling) {
            while (m < k && TokenSampler.argmax(logits[m]) == proposal[m]) m++;
            last = TokenSampler.argmax(logits[m]);
        } else {
            double[] p = sampler.distribution(logits[0]);
            while (m < k && sampler.uniform() * q[m][proposal[m]] < p[proposal[m]]) {
                m++;
                p = sampler.distribution(logits[m]);
            }
            last = m < k ? sampler.draw(residual(p, q[m])) : sampler.draw(p);
        }
        tc.setLength(tc.length() - (k - m)); // keep t, d₁ … d_m
        if (dc != null) dc.setLength(Math.min(dc.length(), length + m));
        int[] tokens = Arrays.copyOf(proposal, m + 1);
        tokens[m] = last;
        return new Round(tokens, Arrays.copyOf(logits, m + 1), k, m);
    }

    /** max(0, p − q) renormalized: where a rejected proposal's probability goes; p itself where q covers p exactly. */
    static double[] residual(double[] p, double[] q) {
        double[] r = new double[p.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += (r[i] = Math.max(0, p[i] - q[i]));
        if (!(sum > 0)) return p;
        for (int i = 0; i < r.length; i++) r[i] /= sum;
        return r;
    }

    /**
     * The draft's proposals into proposal (greedy, or drawn with q filled with each one's distribution), from logits, its
     * next-token logits once it has taken in everything committed, decoding each proposal but the last into cache.
     */
    private void proposeFrom(float[] logits, KvCache cache, int[] proposal, double[][] q, TokenSampler sampler) {
        for (int i = 0; i < proposal.length; i++) {
            if (q == null) {
                proposal[i] = TokenSampler.argmax(logits);
            } else {
                q[i] = sampler.distribution(logits);
                proposal[i] = sampler.draw(q[i]);
            }
            if (i + 1 < proposal.length) logits = draft.decode(proposal[i], cache);
        }
    }
}
