package dev.llmsuite.services.inference;

import dev.llmsuite.engine.generate.Draft;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.SequenceCache;
import dev.llmsuite.engine.generate.SpeculativeGenerator;
import dev.llmsuite.engine.generate.SpeculativeGenerator.Round;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.GptModel;
import java.util.function.BiConsumer;

/**
 * Speculative decoding for the sequence a {@link BatchScheduler} decodes alone: the draft ({@code llm.inference.drafts}),
 * the draft's KV cache unless it is a self-draft, which works in the target's (its memory bounded to one context however
 * many requests come and go: a sequence that takes it over starts it afresh, the draft first taking in what it lacks)
 * and the proposed/accepted counts. Only the decode thread uses it.
 */
final class Speculation implements AutoCloseable {
    private final SpeculativeGenerator generator;
    private final Draft draft;
    private final int lookahead;
    private final BiConsumer<Integer, Integer> onRound;
    private KvCache cache;
    /** The sequence whose tokens the draft cache holds a prefix of (null: none). */
    private Object owner;

    /** onRound hears each round's proposed and accepted counts. */
    Speculation(SpeculativeGenerator generator, Draft draft, int lookahead, BiConsumer<Integer, Integer> onRound) {
        this.generator = generator;
        this.draft = draft;
        this.lookahead = lookahead;
        this.onRound = onRound;
    }

    /**
     * A round for owner, whose tokens are committed[0, length) (the target cache lacking the last one), with at most
     * tokensLeft to make; null when there is no room to draft (the caller takes a plain step).
     */
    Round round(Object owner, int[] committed, int length, SequenceCache target, int tokensLeft, TokenSampler sampler, boolean sampling) {
        int k = Math.min(lookahead, Math.min(tokensLeft, target.capacity() - target.length() - 1));
        if (!generator.sharesCache()) { // a self-draft works in the target's cache; any other keeps its own
            GptModel model = draft.decoder().model();
            if (cache == null) cache = new KvCache(model.backend(), model.config());
            if (this.owner != owner) {
                cache.setLength(0);
                this.owner = owner;
            }
            k = Math.min(k, cache.capacity() - length);
        }
        if (k < 1) return null;
        // a draft serves GPT-2 targets only (ModelRegistry gives none to other models): their caches are KvCaches
        Round r = generator.round(committed, length, (KvCache) target, cache, k, sampler, sampling);
        onRound.accept(r.proposed(), r.accepted());
        return r;
    }

    /** who has ended: the draft cache no longer continues it. */
    void forget(Object who) {
        if (owner == who) owner = null;
    }

    /** A step failed: the draft cache matches no one. */
    void forgetAll() {
        owner = null;
    }

    @Override
    public void close() {
        if (cache != null) cache.close();
        draft.close();
    }
}
