package dev.llmsuite.services.inference;

import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /v1/completions}, OpenAI's shape: prompt → generated text with the KV-cached generator,
 * whole or (with {@code "stream": true}) as server-sent events. Generation stops at
 * {@code <|endoftext|>}, at a stop string (not included), or at max_tokens.
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
    public Response complete(CompletionRequest req) {
        if (req == null) throw ProblemException.badRequest("a JSON body is required");
        if (req.prompt() == null) throw ProblemException.badRequest("'prompt' is required (a string)");
        PreparedGeneration g = PreparedGeneration.of(registry, config, req.model(), req.prompt(), req.maxTokens(),
                req.temperature(), req.topP(), req.topK(), req.seed(), req.stop());
        String id = "cmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = g.model().name();
        GenerationGate.Ticket ticket = gate.admit(); // 429 before anything is streamed
        if (Boolean.TRUE.equals(req.stream())) {
            return g.streamed(ticket, null, delta -> body(id, created, model, delta, null, null),
                    finish -> body(id, created, model, "", finish, null));
        }
        PreparedGeneration.Whole w = g.whole(ticket);
        return Response.ok(body(id, created, model, w.text(), w.result().finishReason(), w.usage(g.prompt().length)))
                .type(MediaType.APPLICATION_JSON).build();
    }

    /** A text_completion object: the whole answer, or one streamed chunk of it (usage null). */
    private static Map<String, Object> body(String id, long created, String model, String text, String finish, Usage usage) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("text", text);
        choice.put("index", 0);
        choice.put("logprobs", null);
        choice.put("finish_reason", finish);
        return PreparedGeneration.envelope(id, "text_completion", created, model, choice, usage);
    }
}
