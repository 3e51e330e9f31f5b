package dev.llmsuite.services.inference;

import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
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
 * {@code POST /v1/chat/completions}, OpenAI's shape: messages written in the model's format ({@link PromptFormat}: the
 * book's Alpaca template for GPT-2 models, a Llama 3 / Qwen3 model's own chat template), then generated as a
 * completion; whole, or streamed as chat.completion.chunk events. With {@code tools} an answer that is a call comes back
 * as {@code tool_calls} ({@link ToolCalls}); a forced call is streamed once whole.
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
        ToolCalls.Choice tools = req.tooling();
        PreparedGeneration g = PreparedGeneration.of(registry, config, gate, req, prompts -> prompts.chat(req.messages(), tools, req.chatTemplateKwargs()))
                .cancelOnClose(http);
        String id = "chatcmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = g.model().name();
        boolean logprobs = g.logprobs() >= 0;
        boolean stream = Boolean.TRUE.equals(req.stream());
        if (stream && !tools.forced()) {
            return g.streamed(index -> new ChatChunk(id, created, model, new ChunkChoice(index, new Delta("assistant", ""), null, null)),
                    (index, text, lps) -> new ChatChunk(id, created, model,
                            new ChunkChoice(index, new Delta(null, text), logprobs ? ChatLogprobs.of(lps) : null, null)),
                    r -> new ChatChunk(id, created, model, new ChunkChoice(r.index(), new Delta(null, null), null, r.finishReason())));
        }
        PreparedGeneration.Whole w = g.whole();
        List<ChatChoice> choices = new ArrayList<>();
        for (GenerationRun.Result r : w.results()) {
            String text = w.texts().get(r.index());
            List<ToolCalls.ToolCall> calls = ToolCalls.parse(text, tools);
            Message message = calls.isEmpty() ? new Message("assistant", text) : new Message("assistant", null, calls);
            choices.add(new ChatChoice(r.index(), message, logprobs ? ChatLogprobs.of(w.logprobs().get(r.index())) : null,
                    calls.isEmpty() ? r.finishReason() : "tool_calls"));
        }
        if (stream) return streamedWhole(id, created, model, choices); // a forced tool call: sent once it is complete
        return Response.ok(new ChatCompletion(id, created, model, choices, w.usage(g.prompt().length))).type(MediaType.APPLICATION_JSON).build();
    }

    /** Finished choices as OpenAI streams them: the role, the content or the whole tool call, the finish reason. */
    private static Response streamedWhole(String id, long created, String model, List<ChatChoice> choices) {
        return Response.ok((StreamingOutput) out -> {
            SseWriter sse = new SseWriter(out);
            for (ChatChoice c : choices) {
                sse.event(new ChatChunk(id, created, model, new ChunkChoice(c.index(), new Delta("assistant", ""), null, null)));
                List<ToolCalls.ToolCall> made = c.message().toolCalls(), calls = null;
                if (made != null) {
                    calls = new ArrayList<>();
                    for (int i = 0; i < made.size(); i++) calls.add(new ToolCalls.ToolCall(i, made.get(i).id(), made.get(i).type(), made.get(i).function()));
                }
                sse.event(new ChatChunk(id, created, model, new ChunkChoice(c.index(),
                        new Delta(null, c.message().content(), calls), c.logprobs(), null)));
                sse.event(new ChatChunk(id, created, model, new ChunkChoice(c.index(), new Delta(null, null), null, c.finishReason())));
            }
            sse.done();
        }).type("text/event-stream").header("Cache-Control", "no-cache").build();
    }
}
