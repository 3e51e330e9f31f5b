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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    public Response chat(ChatRequest req) {
        if (req == null) throw ProblemException.badRequest("a JSON body is required");
        PreparedGeneration g = PreparedGeneration.of(registry, config, req.model(), AlpacaTemplate.render(req.messages()),
                req.maxTokens(), req.temperature(), req.topP(), req.topK(), req.seed(), req.stop());
        String id = "chatcmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = g.model().name();
        GenerationGate.Ticket ticket = gate.admit(); // 429 before anything is streamed
        if (Boolean.TRUE.equals(req.stream())) {
            return Response.ok((StreamingOutput) out -> {
                SseWriter sse = new SseWriter(out);
                sse.event(chunk(id, created, model, Map.of("role", "assistant", "content", ""), null));
                Completion.Result r = g.run(ticket, delta -> sse.event(chunk(id, created, model, Map.of("content", delta), null)));
                sse.event(chunk(id, created, model, Map.of(), r.finishReason()));
                sse.done();
            }).type("text/event-stream").header("Cache-Control", "no-cache").build();
        }
        StringBuilder text = new StringBuilder();
        Completion.Result r = g.run(ticket, delta -> {
            text.append(delta);
            return true;
        });
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("message", Map.of("role", "assistant", "content", text.toString()));
        choice.put("finish_reason", r.finishReason());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("object", "chat.completion");
        body.put("created", created);
        body.put("model", model);
        body.put("choices", List.of(choice));
        body.put("usage", Usage.of(g.prompt().length, r.completionTokens()));
        return Response.ok(body).type(MediaType.APPLICATION_JSON).build();
    }

    private static Map<String, Object> chunk(String id, long created, String model, Map<String, String> delta, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("finish_reason", finish);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", id);
        c.put("object", "chat.completion.chunk");
        c.put("created", created);
        c.put("model", model);
        c.put("choices", List.of(choice));
        return c;
    }
}
