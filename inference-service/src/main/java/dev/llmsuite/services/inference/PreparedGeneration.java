package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.json.JsonGrammar;
import dev.llmsuite.service.ProblemException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.IntFunction;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Set;

/**
 * A generation request checked at the edge, as completions and chat completions both need it: the model
 * is loaded and knows its vocabulary, the prompt fits the context, max_tokens, n and logprobs are
 * within their caps, the sampling values are in range. Defaults follow OpenAI's (max_tokens 16,
 * temperature 1, top_p 1, n 1). {@link #cancel()} stops it (the client left).
 *
 * @param mayDraft whether the model's draft may make its tokens (greedy, or sampled without a seed)
 * @param logprobs alternatives to list per token, or -1 for no logprobs
 * @param grammar  structured output ({@link StructuredOutput}), or null for free text
 * @param ticket   its place at the gate, taken before the prompt was tokenized; closed when the generation ends
 * @param client   the connection, asked before each streamed event whether the client is still there
 */
record PreparedGeneration(LoadedModel model, int[] prompt, SamplingParams params, boolean mayDraft, List<String> stops, int n, int logprobs,
                          JsonGrammar grammar, GenerationGate.Ticket ticket, AtomicBoolean cancelled, AtomicReference<HttpServerResponse> client) {
    /** OpenAI's own limit on alternatives per token. */
    static final int MAX_LOGPROBS = 20;
    /** max_tokens of a constrained request that sets none. */
    static final int DEFAULT_CONSTRAINED_TOKENS = 256;

    /**
     * Checks what costs nothing first, then takes its place at the gate (429 when full), and only then
     * tokenizes the prompt: a flood of long prompts is refused before any of them costs tokenizer time or
     * memory. A prompt longer in chars than the context holds tokens at the longest token is refused
     * without tokenizing it at all.
     *
     * @param write the prompt in the model's format ({@link PromptFormat#completion}, {@link PromptFormat#chat})
     */
    static PreparedGeneration of(ModelRegistry registry, InferenceConfig config, GenerationGate gate, GenerationRequest req,
                                 Function<PromptFormat, PromptFormat.Prompt> write) {
        String modelName = req.model();
        if (modelName == null) throw ProblemException.badRequest("'model' is required");
        LoadedModel m = registry.get(modelName).orElseThrow(() -> ProblemException.notFound("model '" + modelName + "' is not loaded"));
        if (m.prompts() == null) {
            throw new ProblemException(422, "model '" + m.name() + "' was trained on a vocabulary this service does not have");
        }
        PromptFormat.Prompt written = write.apply(m.prompts());
        String promptText = written.text();
        if (promptText.length() > config.maxPromptChars()) {
            throw ProblemException.tooLarge("prompt is " + promptText.length() + " chars; the limit is " + config.maxPromptChars());
        }
        // a constrained answer (response_format, a forced tool call) needs room to be complete: without max_tokens it
        // gets DEFAULT_CONSTRAINED_TOKENS, as OpenAI's chat sets no small default
        JsonGrammar grammar = StructuredOutput.of(req, m.prompts(), m.decoder().vocabSize());
        int max = req.maxTokens() != null ? req.maxTokens()
                : grammar == null ? 16 : Math.min(config.maxTokensCap(), Math.max(DEFAULT_CONSTRAINED_TOKENS, grammar.minTokens()));
        if (max < 0 || max > config.maxTokensCap()) {
            throw ProblemException.badRequest("'max_tokens' must be in [0, " + config.maxTokensCap() + "], got " + max);
        }
        int n = req.n() == null ? 1 : req.n();
        if (n < 1 || n > config.maxChoices()) {
            throw ProblemException.badRequest("'n' must be in [1, " + config.maxChoices() + "], got " + n);
        }
        Integer alternatives = req.logprobAlternatives();
        if (alternatives != null && (alternatives < 0 || alternatives > MAX_LOGPROBS)) {
            throw ProblemException.badRequest("logprobs alternatives must be in [0, " + MAX_LOGPROBS + "], got " + alternatives);
        }
        SamplingParams params = sampling(req, max, m.prompts().ends());
        if (grammar != null && max < grammar.minTokens()) {
            throw ProblemException.badRequest("'max_tokens' is " + max + "; the shortest answer the response_format allows takes "
                    + grammar.minTokens() + " tokens (response_format or tool_choice)");
        }
        List<String> stops = stops(req.stop());
        int context = m.decoder().contextLength();
        long atLeast = promptText.length() / m.tokenizer().vocabulary().longestTokenBytes();
        if (atLeast > context) {
            throw ProblemException.badRequest("prompt is at least " + atLeast + " tokens (" + promptText.length()
                    + " chars); the model's context is " + context + " tokens");
        }
        // a char is at most 3 UTF-8 bytes, and a byte at most one token: the cache each choice may fill
        long positions = Math.min(context, 3L * promptText.length() + max);
        long kvBytes = n * m.decoder().cacheBytesPerPosition() * positions;
        GenerationGate.Ticket ticket = gate.admit(n, kvBytes);
        try {
            int[] prompt = m.prompts().encode(written);
            if (prompt.length == 0) throw ProblemException.badRequest("the prompt is empty");
            if (prompt.length > context) {
                throw ProblemException.badRequest("prompt is " + prompt.length + " tokens; the model's context is " + context + " tokens");
            }
            // greedy, or sampled without a seed: a seeded request's draws must not depend on whether it decoded alone
            boolean mayDraft = params.temperature() == 0 || req.seed() == null;
            return new PreparedGeneration(m, prompt, params, mayDraft, stops, n, alternatives == null ? -1 : alternatives, grammar, ticket,
                    new AtomicBoolean(), new AtomicReference<>());
        } catch (RuntimeException e) {
            ticket.close();
            throw e;
        }
    }

    /** OpenAI's defaults; every value finite and in range ("temperature": "NaN" is a number to Jackson). */
    private static SamplingParams sampling(GenerationRequest req, int max, Set<Integer> ends) {
        double temperature = req.temperature() == null ? 1.0 : req.temperature();
        double topP = req.topP() == null ? 1.0 : req.topP();
        if (!Double.isFinite(temperature)) throw ProblemException.badRequest("'temperature' must be a finite number >= 0");
        if (!Double.isFinite(topP)) throw ProblemException.badRequest("'top_p' must be in (0, 1]");
        try {
            return new SamplingParams(max, temperature, req.topK() == null ? 0 : req.topK(), topP,
                    req.seed() == null ? System.nanoTime() : req.seed(), ends);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
    }

    private static List<String> stops(JsonNode stop) {
        List<String> out = new ArrayList<>();
        if (stop == null || stop.isNull()) return out;
        if (stop.isTextual()) {
            out.add(stop.asText());
        } else if (stop.isArray() && stop.size() <= 4) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) throw ProblemException.badRequest("'stop' must be a string or up to 4 strings");
                out.add(s.asText());
            }
        } else {
            throw ProblemException.badRequest("'stop' must be a string or up to 4 strings");
        }
        out.removeIf(String::isEmpty);
        return out;
    }

    /** Stops every choice at its next token. */
    void cancel() {
        cancelled.set(true);
    }

    /**
     * Stops the generation when the client's connection closes before the answer is sent. A streamed answer
     * also asks the connection before each event: the streaming output takes over the response's close
     * handler, and its writes into a closed connection do not fail.
     */
    PreparedGeneration cancelOnClose(HttpServerRequest request) {
        if (request == null) return this;
        request.response().closeHandler(v -> cancel());
        client.set(request.response());
        return this;
    }

    private boolean clientGone() {
        HttpServerResponse response = client.get();
        return response != null && response.closed();
    }

    List<GenerationRun.Result> run(GenerationRun.PieceListener listener) {
        try (ticket) {
            return GenerationRun.run(model, prompt, params, mayDraft, n, logprobs, stops, grammar, ticket, cancelled, listener);
        }
    }

    /** The generated choices, each in one piece, with their logprobs (empty lists when none were asked). */
    record Whole(List<String> texts, List<List<TokenLogprob>> logprobs, List<GenerationRun.Result> results) {
        Usage usage(int promptTokens) {
            return Usage.of(promptTokens, results.stream().mapToInt(GenerationRun.Result::completionTokens).sum());
        }
    }

    Whole whole() {
        List<StringBuilder> texts = new ArrayList<>();
        List<List<TokenLogprob>> logprobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add(new StringBuilder());
            logprobs.add(new ArrayList<>());
        }
        List<GenerationRun.Result> results = run((index, text, lps) -> {
            texts.get(index).append(text);
            logprobs.get(index).addAll(lps);
            return true;
        });
        return new Whole(texts.stream().map(StringBuilder::toString).toList(), logprobs, results);
    }

    /** Turns a piece of a choice's text (with its tokens' logprobs) into a streamed event. */
    interface PieceEvent {
        Object of(int index, String text, List<TokenLogprob> logprobs);
    }

    /**
     * The generation as server-sent events: {@code first} for each choice (if not null), one event per
     * piece of text, {@code last} with each choice's finish reason, then [DONE].
     */
    Response streamed(IntFunction<Object> first, PieceEvent piece,
                      Function<GenerationRun.Result, Object> last) {
        return Response.ok((StreamingOutput) out -> {
            SseWriter sse = new SseWriter(out);
            if (first != null) for (int i = 0; i < n; i++) sse.event(first.apply(i));
            List<GenerationRun.Result> results = run((index, text, lps) -> !clientGone() && sse.event(piece.of(index, text, lps)));
            if (clientGone()) return;
            for (GenerationRun.Result r : results) sse.event(last.apply(r));
            sse.done();
        }).type("text/event-stream").header("Cache-Control", "no-cache").build();
    }
}
