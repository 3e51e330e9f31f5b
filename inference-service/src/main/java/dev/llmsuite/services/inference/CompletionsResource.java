package dev.llmsuite.services.inference;

import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.core.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /v1/completions}, OpenAI's shape: prompt → generated text with the KV-cached generator,
 * whole or (with {@code "stream": true}) as server-sent events. Generation stops at
 * {@code <|endoftext|>}, at a stop string (not included), or at max_tokens; n choices are decoded
 * together; a client that leaves stops its generation.
 */
@Path("/v1/completions")
@Consumes(MediaType.APPLICATION_JSON)
@Blocking
public class CompletionsResource {
    private final ModelRegistry registry;
    private final InferenceConfig config;
    private final GenerationGate gate;

    CompletionsResource(ModelRegistry registry, InferenceConfig config, GenerationGate gate) {
        this.registry = registry;
        this.config = config;
        this.gate = gate;
    }

    @POST
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    public Response complete(CompletionRequest req, @Context HttpServerRequest http) {
        if (req == null) throw ProblemException.badRequest("a JSON body is required");
        if (req.prompt() == null) throw ProblemException.badRequest("'prompt' is required (a string)");
        PreparedGeneration g = PreparedGeneration.of(registry, config, gate, req, req.prompt()).cancelOnClose(http);
        String id = "cmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = g.model().name();
        boolean logprobs = g.logprobs() >= 0;
        if (Boolean.TRUE.equals(req.stream())) {
            return g.streamed(null,
                    (index, text, lps) -> body(id, created, model, List.of(choice(index, text, logprobs ? lps : null, null)), null),
                    r -> body(id, created, model, List.of(choice(r.index(), "", null, r.finishReason())), null));
        }
        PreparedGeneration.Whole w = g.whole();
        List<Map<String, Object>> choices = new ArrayList<>();
        for (Completion.Result r : w.results()) {
            choices.add(choice(r.index(), w.texts().get(r.index()), logprobs ? w.logprobs().get(r.index()) : null, r.finishReason()));
        }
        return Response.ok(body(id, created, model, choices, w.usage(g.prompt().length))).type(MediaType.APPLICATION_JSON).build();
    }

    /** A text_completion object: the whole answer, or one streamed chunk of it (usage null). */
    private static Map<String, Object> body(String id, long created, String model, List<Map<String, Object>> choices, Usage usage) {
        return PreparedGeneration.envelope(id, "text_completion", created, model, choices, usage);
    }

    private static Map<String, Object> choice(int index, String text, List<TokenLogprob> logprobs, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("text", text);
        choice.put("index", index);
        choice.put("logprobs", logprobs == null ? null : legacyLogprobs(logprobs));
        choice.put("finish_reason", finish);
        return choice;
    }

    /** The completions API's logprobs: parallel lists of tokens, their logprobs, alternatives and offsets. */
    private static Map<String, Object> legacyLogprobs(List<TokenLogprob> tokens) {
        List<String> text = new ArrayList<>();
        List<Double> logprob = new ArrayList<>();
        List<Map<String, Double>> top = new ArrayList<>();
        List<Integer> offset = new ArrayList<>();
        for (TokenLogprob t : tokens) {
            text.add(t.token());
            logprob.add(t.logprob());
            Map<String, Double> alternatives = new LinkedHashMap<>();
            for (TokenLogprob a : t.top()) alternatives.putIfAbsent(a.token(), a.logprob());
            top.add(alternatives);
            offset.add(t.textOffset());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tokens", text);
        out.put("token_logprobs", logprob);
        out.put("top_logprobs", top);
        out.put("text_offset", offset);
        return out;
    }
}
