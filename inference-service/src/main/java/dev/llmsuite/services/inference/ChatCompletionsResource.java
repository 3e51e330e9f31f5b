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
import dev.llmsuite.services.inference.CompletionBodies.ChatChoice;
import dev.llmsuite.services.inference.CompletionBodies.ChatChunk;
import dev.llmsuite.services.inference.CompletionBodies.ChatCompletion;
import dev.llmsuite.services.inference.CompletionBodies.ChatLogprobs;
import dev.llmsuite.services.inference.CompletionBodies.ChunkChoice;
import dev.llmsuite.services.inference.CompletionBodies.Delta;
import dev.llmsuite.services.inference.CompletionBodies.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/chat/completions}, OpenAI's shape: messages rendered through the book's Alpaca
 * template, then generated as a completion; whole, or streamed as chat.completion.chunk events.
 */
@Path("/v1/chat/completions")
@Consumes(MediaType.APPLICATION_JSON)
@Blocking
public class ChatCompletionsResource {
    private final ModelRegistry registry;
    private final InferenceConfig config;
    private final GenerationGate gate;

    ChatCompletionsResource(ModelRegistry registry, InferenceConfig config, GenerationGate gate) {
        this.registry = registry;
        this.config = config;
        this.gate = gate;
    }

    @POST
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    @APIResponse(responseCode = "200", description = "the chat completion; with \"stream\": true, server-sent events of chat.completion.chunk",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ChatCompletion.class)),
                    @Content(mediaType = "text/event-stream", schema = @Schema(implementation = ChatChunk.class))})
    public Response chat(ChatRequest req, @Context HttpServerRequest http) {
        if (req == null) throw ProblemException.badRequest("a JSON body is required");
        PreparedGeneration g = PreparedGeneration.of(registry, config, gate, req, AlpacaTemplate.render(req.messages())).cancelOnClose(http);
        String id = "chatcmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = g.model().name();
        boolean logprobs = g.logprobs() >= 0;
        if (Boolean.TRUE.equals(req.stream())) {
            return g.streamed(index -> new ChatChunk(id, created, model, new ChunkChoice(index, new Delta("assistant", ""), null, null)),
                    (index, text, lps) -> new ChatChunk(id, created, model,
                            new ChunkChoice(index, new Delta(null, text), logprobs ? ChatLogprobs.of(lps) : null, null)),
                    r -> new ChatChunk(id, created, model, new ChunkChoice(r.index(), new Delta(null, null), null, r.finishReason())));
        }
        PreparedGeneration.Whole w = g.whole();
        List<ChatChoice> choices = new ArrayList<>();
        for (GenerationRun.Result r : w.results()) {
            choices.add(new ChatChoice(r.index(), new Message("assistant", w.texts().get(r.index())),
                    logprobs ? ChatLogprobs.of(w.logprobs().get(r.index())) : null, r.finishReason()));
        }
        return Response.ok(new ChatCompletion(id, created, model, choices, w.usage(g.prompt().length))).type(MediaType.APPLICATION_JSON).build();
    }
}
