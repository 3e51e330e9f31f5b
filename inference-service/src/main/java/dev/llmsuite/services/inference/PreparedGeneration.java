package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.SpecialTokenPolicy;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.Set;

/**
 * A generation request checked at the edge, as completions and chat completions both need it: the model
 * is loaded and knows its vocabulary, the prompt fits the context, max_tokens is within the cap, the
 * sampling values are in range. Defaults follow OpenAI's (max_tokens 16, temperature 1, top_p 1).
 */
record PreparedGeneration(LoadedModel model, int[] prompt, SamplingParams params, List<String> stops) {
    private static final int END_OF_TEXT = 50256;

    static PreparedGeneration of(ModelRegistry registry, InferenceConfig config, String modelName, String promptText,
                                 Integer maxTokens, Double temperature, Double topP, Integer topK, Long seed, JsonNode stop) {
        if (modelName == null) throw ProblemException.badRequest("'model' is required");
        LoadedModel m = registry.get(modelName).orElseThrow(() -> ProblemException.notFound("model '" + modelName + "' is not loaded"));
        if (m.tokenizer() == null) {
            throw new ProblemException(422, "model '" + m.name() + "' was trained on a vocabulary this service does not have");
        }
        if (promptText.length() > config.maxPromptChars()) {
            throw ProblemException.tooLarge("prompt is " + promptText.length() + " chars; the limit is " + config.maxPromptChars());
        }
        int max = maxTokens == null ? 16 : maxTokens;
        if (max < 0 || max > config.maxTokensCap()) {
            throw ProblemException.badRequest("'max_tokens' must be in [0, " + config.maxTokensCap() + "], got " + max);
        }
        int[] prompt = m.tokenizer().encode(promptText, SpecialTokenPolicy.ALLOW_ALL);
        int context = m.model().config().contextLength();
        if (prompt.length == 0) throw ProblemException.badRequest("the prompt is empty");
        if (prompt.length > context) {
            throw ProblemException.badRequest("prompt is " + prompt.length + " tokens; the model's context is " + context + " tokens");
        }
        SamplingParams params;
        try {
            params = new SamplingParams(max, temperature == null ? 1.0 : temperature, topK == null ? 0 : topK,
                    topP == null ? 1.0 : topP, seed == null ? System.nanoTime() : seed, Set.of(END_OF_TEXT));
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        return new PreparedGeneration(m, prompt, params, stops(stop));
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

    Completion.Result run(GenerationGate.Ticket ticket, Completion.DeltaListener listener) {
        try (ticket) {
            return Completion.run(model, prompt, params, stops, ticket, listener);
        }
    }

    /** The generated text in one piece, and why generation ended. */
    record Whole(String text, Completion.Result result) {
        Usage usage(int promptTokens) { return Usage.of(promptTokens, result.completionTokens()); }
    }

    Whole whole(GenerationGate.Ticket ticket) {
        StringBuilder text = new StringBuilder();
        Completion.Result r = run(ticket, delta -> {
            text.append(delta);
            return true;
        });
        return new Whole(text.toString(), r);
    }

    /**
     * The generation as server-sent events: {@code first} (if not null), one event per piece of text,
     * {@code last} with the finish reason, then [DONE].
     */
    Response streamed(GenerationGate.Ticket ticket, Object first, Function<String, Object> piece,
                      Function<String, Object> last) {
        return Response.ok((StreamingOutput) out -> {
            SseWriter sse = new SseWriter(out);
            if (first != null) sse.event(first);
            Completion.Result r = run(ticket, delta -> sse.event(piece.apply(delta)));
            sse.event(last.apply(r.finishReason()));
            sse.done();
        }).type("text/event-stream").header("Cache-Control", "no-cache").build();
    }

    /** OpenAI's response envelope around one choice; usage is left out of streamed chunks. */
    static Map<String, Object> envelope(String id, String object, long created, String model, Map<String, Object> choice,
                                        Usage usage) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", id);
        c.put("object", object);
        c.put("created", created);
        c.put("model", model);
        c.put("choices", List.of(choice));
        if (usage != null) c.put("usage", usage);
        return c;
    }
}
