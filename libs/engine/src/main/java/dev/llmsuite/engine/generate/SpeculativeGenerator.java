package dev.llmsuite.engine.generate;

import java.util.Arrays;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Greedy generation sped up by a draft: each round the draft proposes up to k tokens one by one (cheap: a smaller
 * model, or the target's own 8-bit weights), the target checks them all in one step ({@link Decoder#decodeAll}: k + 1
 * rows read each weight once: 1.6 decode steps for 5 rows with fp32 panels on 2 cores, docs/benchmarks.md), and the longest run of proposals that equals the
 * target's own argmax is kept, plus the target's token after it. Every kept token is the target's argmax over exactly
 * the prefix plain decoding would have, computed to the same bits, so the output is the target's greedy output token
 * for token; the draft only decides how many tokens a target step yields.
 *
 * <pre>
 *   committed: s₀ … sₙ₋₁ t        target cache: s₀ … sₙ₋₁        draft cache: a prefix of s₀ … sₙ₋₁ t
 *   draft:     feed what it lacks, then d₁ = argmax, d₂ = argmax after d₁, … d_k
 *   target:    rows [t, d₁ … d_k] → logits p₀ … p_k;  m = the longest run with argmax p_{i−1} = d_i
 *   commit:    d₁ … d_m and argmax p_m;  target cache keeps t, d₁ … d_m;  draft cache cut to what it computed of them
 * </pre>
 *
 * Exact when the target's products are row-independent at k + 1 rows: fp32 weights (k + 1 below 16; each row its own
 * dot products, so verifying costs about k + 1 steps) or fp32 panels (any k; verifying costs a fraction
 * of k + 1 steps: the speed-up). Sampling (temperature above 0) is not done here: callers decode those plainly.
 */
public final class SpeculativeGenerator {
    private final Decoder target, draft;
    private final int lookahead;

    /** What a generation did: target steps taken, tokens proposed, proposals kept. */
    public record Stats(int targetSteps, int proposed, int accepted) {
        public double acceptance() { return proposed == 0 ? 0 : (double) accepted / proposed; }
    }

    /** The tokens generated and how. */
    public record Result(int[] tokens, Stats stats) {}

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
    }

    /** Up to maxNewTokens greedy tokens after prompt; stops at a stop token (not emitted), a full context, or onToken false. */
    public Result generate(int[] prompt, int maxNewTokens, Set<Integer> stopTokens, IntPredicate onToken) {
        int ctx = target.model().config().contextLength();
        int[] seq = prompt.length > ctx ? Arrays.copyOfRange(prompt, prompt.length - ctx, prompt.length) : prompt.clone();
        if (seq.length == 0) throw new IllegalArgumentException("empty prompt");
        int[] out = new int[maxNewTokens];
        int produced = 0, steps = 0, proposed = 0, accepted = 0;
        try (KvCache tc = new KvCache(target.model().backend(), target.model().config());
             KvCache dc = new KvCache(draft.model().backend(), draft.model().config())) {
            int[] committed = Arrays.copyOf(seq, seq.length + maxNewTokens); // the prompt, then every kept token
            int length = seq.length;
            int next = TokenSampler.argmax(target.prefill(seq, tc));
            steps++;
            while (produced < maxNewTokens) {
                if (stopTokens.contains(next)) break;
                out[produced++] = next;
                committed[length++] = next;
                if ((onToken != null && !onToken.test(next)) || produced == maxNewTokens || tc.full()) break;
                int k = Math.min(lookahead, Math.min(maxNewTokens - produced, Math.min(tc.capacity() - tc.length() - 1,
                        dc.capacity() - length)));
                if (k < 1) { // no room to draft: a plain step
                    next = TokenSampler.argmax(target.decode(next, tc));
                    steps++;
                    continue;
                }
                int[] proposal = propose(committed, length, dc, k);
                int[] rows = new int[k + 1];
                rows[0] = next;
                System.arraycopy(proposal, 0, rows, 1, k);
                float[][] logits = target.decodeAll(rows, tc);
                steps++;
                proposed += k;
                int m = 0;
                while (m < k && TokenSampler.argmax(logits[m]) == proposal[m]) m++;
                accepted += m;
                tc.setLength(tc.length() - (k - m)); // keep t, d₁ … d_m
                dc.setLength(Math.min(dc.length(), length + m));
                boolean stopped = false;
                for (int i = 0; i < m && !stopped; i++) {
                    int token = proposal[i];
                    if (stopTokens.contains(token)) { stopped = true; break; }
                    out[produced++] = token;
                    committed[length++] = token;
                    stopped = (onToken != null && !onToken.test(token)) || produced == maxNewTokens;
                }
                if (stopped) break;
                next = TokenSampler.argmax(logits[m]);
            }
            return new Result(Arrays.copyOf(out, produced), new Stats(steps, proposed, accepted));
        }
    }

    /** The draft's k greedy tokens after committed[0, length): it first takes in whatever of them its cache lacks. */
    private int[] propose(int[] committed, int length, KvCache dc, int k) {
        int have = dc.length();
        int[] missing = Arrays.copyOfRange(committed, have, length);
        float[] logits = have == 0 ? draft.prefill(missing, dc) : draft.decodeLast(missing, dc);
        int[] proposal = new int[k];
        for (int i = 0; i < k; i++) {
            proposal[i] = TokenSampler.argmax(logits);
            if (i + 1 < k) logits = draft.decode(proposal[i], dc);
        }
        return proposal;
    }
}
