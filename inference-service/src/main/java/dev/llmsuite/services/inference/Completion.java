package dev.llmsuite.services.inference;

import dev.llmsuite.engine.generate.SamplingParams;
import java.util.List;

/**
 * One generation as text: runs the engine on a loaded model, turns the tokens into text deltas that
 * are always whole characters (a token can end inside a multi-byte character; its bytes wait for the
 * next token), and ends at a stop string (left out) or when the listener says so (a client gone).
 */
final class Completion {

    /** Receives each new piece of text; answers false to stop generating. */
    interface DeltaListener {
        boolean onDelta(String delta);
    }

    /** What happened: the tokens made and why generation ended ("stop" or "length"). */
    record Result(int completionTokens, String finishReason) {}

    private Completion() {}

    static Result run(LoadedModel m, int[] prompt, SamplingParams params, List<String> stops, GenerationGate.Ticket ticket,
                      DeltaListener listener) {
        int[] count = {0};
        boolean[] stopped = {false};
        StringBuilder text = new StringBuilder();
        int[] emitted = {0};
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ticket.start();
        m.scheduler().submit(prompt, params, id -> {
                ticket.token();
                count[0]++;
                byte[] b = m.tokenizer().decodeBytes(new int[] {id});
                bytes.write(b, 0, b.length);
                byte[] all = bytes.toByteArray();
                int complete = completeUtf8Prefix(all);
                text.setLength(0);
                text.append(new String(all, 0, complete, java.nio.charset.StandardCharsets.UTF_8));
                int cut = -1;
                for (String s : stops) {
                    int at = text.indexOf(s);
                    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
                }
                // Hold back a tail that could be the start of a stop string.
                int safe = cut >= 0 ? cut : Math.max(emitted[0], text.length() - longest(stops) + 1);
                if (cut < 0 && stops.isEmpty()) safe = text.length();
                boolean go = true;
                if (safe > emitted[0]) {
                    go = listener.onDelta(text.substring(emitted[0], safe));
                    emitted[0] = safe;
                }
                if (cut >= 0) {
                    stopped[0] = true;
                    return false;
                }
                return go;
            }).join();
        if (!stopped[0]) {
            // The held-back tail, and bytes of a character the last token left unfinished (as U+FFFD).
            String all = new String(bytes.toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
            if (all.length() > emitted[0]) listener.onDelta(all.substring(emitted[0]));
        }
        boolean ended = stopped[0] || count[0] < params.maxNewTokens();
        return new Result(count[0], ended ? "stop" : "length");
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
