package dev.llmsuite.services.inference;

import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.core.Context;
import dev.llmsuite.services.inference.CompletionBodies.LegacyLogprobs;
import dev.llmsuite.services.inference.CompletionBodies.TextChoice;
import dev.llmsuite.services.inference.CompletionBodies.TextCompletion;
import java.util.ArrayList;
import java.util.List;
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
    @APIResponse(responseCode = "200", description = "the completion; with \"stream\": true, server-sent events of chunks of the same shape",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TextCompletion.class)),
                    @Content(mediaType = "text/event-stream", schema = @Schema(implementation = TextCompletion.class))})
    public Response complete(CompletionRequest req, @Context HttpServerRequest http) {
        if (req == null) throw ProblemException.badRequest("a JSON body is required");
        if (req.prompt() == null) throw ProblemException.badRequest("'prompt' is required (a string)");
        PreparedGeneration g = PreparedGeneration.of(registry, config, gate, req, prompts -> prompts.completion(req.prompt())).cancelOnClose(http);
        String id = "cmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = g.model().name();
        boolean logprobs = g.logprobs() >= 0;
        if (Boolean.TRUE.equals(req.stream())) {
            return g.streamed(null,
                    (index, text, lps) -> chunk(id, created, model, new TextChoice(text, index, logprobs ? LegacyLogprobs.of(lps) : null, null)),
                    r -> chunk(id, created, model, new TextChoice("", r.index(), null, r.finishReason())));
        }
        PreparedGeneration.Whole w = g.whole();
        List<TextChoice> choices = new ArrayList<>();
        for (GenerationRun.Result r : w.results()) {
            choices.add(new TextChoice(w.texts().get(r.index()), r.index(), logprobs ? LegacyLogprobs.of(w.logprobs().get(r.index())) : null,
                    r.finishReason()));
        }
        return Response.ok(new TextCompletion(id, created, model, choices, w.usage(g.prompt().length))).type(MediaType.APPLICATION_JSON).build();
    }

    /** One streamed piece: a text_completion with one choice and no usage. */
    private static TextCompletion chunk(String id, long created, String model, TextChoice choice) {
        return new TextCompletion(id, created, model, List.of(choice), null);
    }
}
