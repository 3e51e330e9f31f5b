package dev.llmsuite.services.inference;

import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.json.JsonGrammar;
import dev.llmsuite.tokenizer.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's generations (its n choices) as text. Each choice is a sequence in the model's
 * {@link BatchScheduler}; on the decode thread its tokens become text pieces that are always whole
 * characters (a token can end inside a multi-byte character; its bytes wait for the next token) and
 * end at a stop string (left out). The pieces travel through a queue to the request's own thread,
 * which hands them to the listener: a slow client never holds up the decode step that everyone
 * shares. The listener answering false, or {@code cancelled} being set (the client left), stops every
 * choice at its next token.
 */
final class GenerationRun {

    /** Receives each new piece of a choice's text with the logprobs of its tokens; false stops. */
    interface PieceListener {
        boolean onPiece(int index, String text, List<TokenLogprob> logprobs);
    }

    /** How one choice ended: tokens made and why ("stop" or "length"). */
    record Result(int index, int completionTokens, String finishReason) {}

    private sealed interface Event permits Piece, End {}

    private record Piece(int index, String text, List<TokenLogprob> logprobs) implements Event {}

    private record End(int index, Result result, Throwable error) implements Event {}

    private GenerationRun() {}

    /**
     * Runs the n choices to their ends and answers their results by index. Choice i samples with
     * seed + i. {@code logprobs} < 0: none; otherwise each token's logprob and that many alternatives. {@code grammar}:
     * structured output (each choice's tokens drawn within it), or null. {@code mayDraft}: whether speculative rounds
     * may make a choice's tokens when it decodes alone.
     */
    static List<Result> run(LoadedModel m, int[] prompt, SamplingParams params, boolean mayDraft, int n, int logprobs, List<String> stops,
                            JsonGrammar grammar, GenerationGate.Ticket ticket, AtomicBoolean cancelled, PieceListener listener) {
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        ticket.start();
        for (int i = 0; i < n; i++) {
            SamplingParams p = new SamplingParams(params.maxNewTokens(), params.temperature(), params.topK(), params.topP(),
                    params.seed() + i, params.stopTokens());
            Choice c = new Choice(i, m.tokenizer(), logprobs, stops, ticket, cancelled, events);
            m.scheduler().submit(prompt, p, c, grammar == null ? null : grammar.constraint(), mayDraft)
                    .whenComplete((ending, error) -> events.add(c.end(ending, error)));
        }
        Result[] results = new Result[n];
        Throwable failure = null;
        for (int open = n; open > 0; ) {
            Event e;
            try {
                e = events.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException x) {
                cancelled.set(true);
                Thread.currentThread().interrupt();
                continue;
            }
            if (e instanceof Piece p && !cancelled.get() && !listener.onPiece(p.index(), p.text(), p.logprobs())) {
                cancelled.set(true);
            } else if (e instanceof End end) {
                open--;
                if (end.error() != null) failure = end.error();
                results[end.index()] = end.result();
            }
        }
        if (cancelled.get()) ticket.cancelled();
        if (failure != null && !cancelled.get()) throw new IllegalStateException("generation failed: " + failure.getMessage(), failure);
        return Arrays.asList(results);
    }

    /** One choice's text assembly; runs on the decode thread. */
    private static final class Choice implements BatchScheduler.TokenListener {
        private final int index;
        private final TextTokenizer tokenizer;
        private final int logprobs;
        private final List<String> stops;
        private final GenerationGate.Ticket ticket;
        private final AtomicBoolean cancelled;
        private final LinkedBlockingQueue<Event> events;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private List<TokenLogprob> pending = new ArrayList<>();
        private int count;
        private int emitted; // chars of the text already handed out
        private boolean stopped;

        Choice(int index, TextTokenizer tokenizer, int logprobs, List<String> stops, GenerationGate.Ticket ticket,
               AtomicBoolean cancelled, LinkedBlockingQueue<Event> events) {
            this.index = index;
            this.tokenizer = tokenizer;
            this.logprobs = logprobs;
            this.stops = stops;
            this.ticket = ticket;
            this.cancelled = cancelled;
            this.events = events;
        }

        @Override
        public boolean onToken(int id, float[] logits) {
            if (cancelled.get()) return false;
            ticket.token();
            count++;
            byte[] before = bytes.toByteArray();
            if (logprobs >= 0) {
                int offset = new String(before, StandardCharsets.UTF_8).length();
                pending.add(TokenLogprob.of(tokenizer, id, logits, logprobs, offset));
            }
            byte[] b = tokenizer.decodeBytes(new int[] {id});
            bytes.write(b, 0, b.length);
            byte[] all = bytes.toByteArray();
            String text = new String(all, 0, completeUtf8Prefix(all), StandardCharsets.UTF_8);
            int cut = -1;
            for (String s : stops) {
                int at = text.indexOf(s);
                if (at >= 0 && (cut < 0 || at < cut)) cut = at;
            }
            // Hold back a tail that could be the start of a stop string.
            int safe = cut >= 0 ? cut : stops.isEmpty() ? text.length() : Math.max(emitted, text.length() - longest(stops) + 1);
            if (safe > emitted) {
                events.add(new Piece(index, text.substring(emitted, safe), takePending()));
                emitted = safe;
            }
            if (cut >= 0) {
                stopped = true;
                return false;
            }
            return true;
        }

        /**
         * The choice ended: the held-back tail (bytes of a character the last token left unfinished read
         * as U+FFFD), and the logprobs not yet handed out: they cover every token made, also those of a
         * stop string, which the text leaves out.
         */
        Event end(BatchScheduler.Ending ending, Throwable error) {
            String tail = "";
            if (!stopped) {
                String all = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
                if (all.length() > emitted) tail = all.substring(emitted);
            }
            if (!tail.isEmpty() || !pending.isEmpty()) events.add(new Piece(index, tail, takePending()));
            // "stop": the end-of-text token or a stop string; "length": max_tokens, or the context filled up
            boolean ended = stopped || ending == BatchScheduler.Ending.STOP_TOKEN;
            return new End(index, new Result(index, count, ended ? "stop" : "length"), error);
        }

        private List<TokenLogprob> takePending() {
            List<TokenLogprob> out = pending;
            pending = new ArrayList<>();
            return out;
        }
    }

    private static int longest(List<String> stops) {
        int n = 0;
        for (String s : stops) n = Math.max(n, s.length());
        return n;
    }

    /** Length of the longest prefix that ends on a character boundary (invalid bytes count as whole). */
    static int completeUtf8Prefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) continue; // a continuation byte: look further back
            int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
