package dev.llmsuite.services.inference;

import dev.llmsuite.engine.generate.BatchDecoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.KvCachePool;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.SequenceCache;
import dev.llmsuite.engine.generate.SpeculativeGenerator.Round;
import dev.llmsuite.engine.generate.TokenConstraint;
import dev.llmsuite.engine.generate.TokenSampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Continuous batching for one loaded model: one thread owns the model; each step it admits new
 * requests (prefill), then runs one decode step for every active sequence together
 * ({@link BatchDecoder#decodeBatch}: GPT-2's Decoder, a LlamaModel), so each weight is read once per step however many requests are in
 * flight. A sequence leaves when it finishes; others keep going and new ones join at the next step. A sequence
 * decoding alone, with nothing waiting, takes speculative rounds instead when the model has a draft ({@link Speculation}):
 * the draft proposes, one step of the model checks, several tokens come out. A little over 250 lines: plain steps and
 * speculative rounds hand their tokens through the same per-token rules (stops, listener, limits), kept in one place.
 */
final class BatchScheduler<C extends SequenceCache> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BatchScheduler.class);

    /** Sees each token as it is made, with the logits it was drawn from; answers false to stop. */
    interface TokenListener {
        boolean onToken(int token, float[] logits);
    }

    /** One sequence in flight. */
    private final class Sequence {
        final int[] prompt;
        final SamplingParams params;
        final TokenSampler sampler;
        final TokenListener onToken;
        /** Structured output: what the next token may be (null: anything). */
        final TokenConstraint constraint;
        /** Whether speculative rounds may make its tokens (not for seeded sampling: its draws would depend on load). */
        final boolean mayDraft;
        /** The prompt, then every token made: what a draft continues. */
        final int[] committed;
        int length;
        final CompletableFuture<Ending> done = new CompletableFuture<>();
        C cache;
        int produced;
        int next;

        Sequence(int[] prompt, SamplingParams params, TokenListener onToken, TokenConstraint constraint, boolean mayDraft) {
            this.prompt = prompt;
            this.mayDraft = mayDraft && constraint == null;
            this.committed = Arrays.copyOf(prompt, prompt.length + params.maxNewTokens());
            this.length = prompt.length;
            this.params = params;
            this.sampler = new TokenSampler(params);
            this.onToken = onToken;
            this.constraint = constraint;
        }
    }

    private final BatchDecoder<C> decoder;
    /** The model's draft, or null. */
    private final Speculation speculation;
    /** Finished sequences' caches, for the next ones (only the decode thread touches it). */
    private final KvCachePool<C> caches;
    private final int maxBatch;
    /** New sequences, and other work on the model (classification) that must not run beside a step. */
    private final LinkedBlockingQueue<Object> incoming = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private final Runnable onDrained;

    /**
     * @param poolBytes memory of finished sequences' KV caches kept for the next ones
     * @param speculation the model's draft (closed when drained), or null
     * @param onDrained runs on the decode thread once closed and every sequence has finished (it frees the model's memory)
     */
    BatchScheduler(String name, BatchDecoder<C> decoder, int maxBatch, long poolBytes, Speculation speculation, Runnable onDrained) {
        this.decoder = decoder;
        this.speculation = speculation;
        this.caches = new KvCachePool<>(decoder::newCache, poolBytes);
        this.maxBatch = maxBatch;
        this.onDrained = onDrained;
        this.thread = Thread.ofPlatform().daemon().name("decode-" + name).start(this::loop);
    }

    /**
     * Queues a generation; onToken sees every token as it is made, on the decode thread, so it must be
     * quick (answer false to stop). The future
     * completes with why the sequence ended. The prompt must fit the context (the caller checks).
     */
    /** Why a sequence ended: OpenAI's finish_reason is "stop" for the first two, "length" for the others. */
    enum Ending { STOP_TOKEN, LISTENER, MAX_TOKENS, CONTEXT_FULL }

    CompletableFuture<Ending> submit(int[] prompt, SamplingParams params, TokenListener onToken) {
        return submit(prompt, params, onToken, null, params.temperature() == 0);
    }

    /**
     * As above, each token drawn within {@code constraint} (structured output; the sequence ends when it is complete);
     * mayDraft: whether a draft may make its tokens when it decodes alone (never with a constraint).
     */
    CompletableFuture<Ending> submit(int[] prompt, SamplingParams params, TokenListener onToken, TokenConstraint constraint, boolean mayDraft) {
        Sequence s = new Sequence(prompt, params, onToken, constraint, mayDraft);
        if (closed) s.done.completeExceptionally(new IllegalStateException("the model is being replaced; retry"));
        else incoming.add(s);
        return s.done;
    }

    /**
     * Runs work that uses the model's activation buffers (a classifier's forward) on the decode thread,
     * between steps, so it never interleaves with a decode step.
     */
    <T> CompletableFuture<T> call(Supplier<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                f.complete(work.get());
            } catch (RuntimeException | Error e) { // an Error too: the decode thread goes on, the caller hears of it
                f.completeExceptionally(e);
            }
        };
        if (closed) f.completeExceptionally(new IllegalStateException("the model is being replaced; retry"));
        else incoming.add(task);
        return f;
    }

    private void loop() {
        List<Sequence> active = new ArrayList<>();
        while (!closed || !active.isEmpty() || !incoming.isEmpty()) {
            try {
                if (active.isEmpty()) {
                    Object s = incoming.poll(200, TimeUnit.MILLISECONDS);
                    if (s != null) admit(s, active);
                }
                Object s;
                while (active.size() < maxBatch && (s = incoming.poll()) != null) admit(s, active);
                if (active.isEmpty()) continue;
                if (speculation != null && active.size() == 1 && incoming.isEmpty() && active.get(0).mayDraft) {
                    if (!speculate(active.get(0))) active.clear();
                    continue;
                }
                int[] tokens = new int[active.size()];
                List<C> caches = new ArrayList<>(active.size());
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = active.get(i).next;
                    caches.add(active.get(i).cache);
                }
                float[][] logits = decoder.decodeBatch(tokens, caches);
                List<Sequence> still = new ArrayList<>();
                for (int i = 0; i < logits.length; i++) if (offer(active.get(i), logits[i])) still.add(active.get(i));
                active = still;
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | Error e) {
                // an OutOfMemoryError included: the step's sequences fail and give their caches back, the thread
                // lives on, so no request waits forever and no slot stays taken
                LOG.error("decode step failed; failing its sequences", e);
                if (speculation != null) speculation.forgetAll();
                for (Sequence s : active) {
                    // one that finished in this step has given its cache to the pool already: leave it there
                    if (s.done.completeExceptionally(e)) s.cache.close();
                }
                active.clear();
            }
        }
        // replaced and drained: nothing decodes here any more (a device backend reuses the memory)
        caches.close();
        if (speculation != null) speculation.close();
        onDrained.run();
    }

    /** Prefill a new sequence and take its first token (or run a task). */
    private void admit(Object next, List<Sequence> active) {
        if (next instanceof Runnable task) {
            task.run();
            return;
        }
        Sequence s = (Sequence) next;
        try {
            int capacity = KvCache.capacityFor(decoder.contextLength(), s.prompt.length, s.params.maxNewTokens());
            s.cache = caches.take(Math.max(capacity, s.prompt.length));
            float[] logits = decoder.prefill(s.prompt, s.cache);
            if (offer(s, logits)) active.add(s);
        } catch (RuntimeException | Error e) {
            if (s.done.completeExceptionally(e) && s.cache != null) s.cache.close();
        }
    }

    /** A speculative round for s (or a plain step when there is no room to draft); true while it goes on. */
    private boolean speculate(Sequence s) {
        int cached = s.cache.length();
        Round r = speculation.round(s, s.committed, s.length, s.cache, s.params.maxNewTokens() - s.produced, s.sampler,
                s.params.temperature() > 0);
        if (r == null) return offer(s, decoder.decodeBatch(new int[] {s.next}, List.of(s.cache))[0]);
        for (int i = 0; i < r.tokens().length; i++) {
            // token i is what a plain step would make once the cache held cached + 1 + i tokens
            if (!emit(s, r.tokens()[i], r.logits()[i], cached + 1 + i)) return false;
        }
        return true;
    }

    /** Picks the next token from logits; true while the sequence goes on. */
    private boolean offer(Sequence s, float[] logits) {
        if (s.produced >= s.params.maxNewTokens()) return finish(s, Ending.MAX_TOKENS);
        int token;
        if (s.constraint == null) {
            token = s.sampler.next(logits);
        } else { // the tokens it may still make: its max_tokens, and the room left in its cache
            int left = Math.min(s.params.maxNewTokens() - s.produced, s.cache.capacity() - s.cache.length() + 1);
            token = s.constraint.next(logits, s.sampler, left);
        }
        return emit(s, token, logits, s.cache.length());
    }

    /** Hands on a token made from logits when the cache held cached tokens; true while the sequence goes on. */
    private boolean emit(Sequence s, int token, float[] logits, int cached) {
        if (s.params.stopTokens().contains(token)) return finish(s, Ending.STOP_TOKEN);
        s.produced++;
        boolean go;
        try {
            go = s.onToken.onToken(token, logits);
        } catch (RuntimeException e) {
            go = false;
        }
        if (!go) return finish(s, Ending.LISTENER);
        if (s.constraint != null && s.constraint.complete()) return finish(s, Ending.STOP_TOKEN);
        if (s.produced >= s.params.maxNewTokens()) return finish(s, Ending.MAX_TOKENS);
        if (cached >= s.cache.capacity()) return finish(s, Ending.CONTEXT_FULL);
        s.next = token;
        s.committed[s.length++] = token;
        return true;
    }

    private boolean finish(Sequence s, Ending why) {
        if (speculation != null) speculation.forget(s);
        caches.give(s.cache);
        s.done.complete(why);
        return false;
    }

    /** Stops taking new work; sequences in flight finish on these weights. */
    @Override
    public void close() {
        closed = true;
    }
}
