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
            return g.streamed(ticket, chunk(id, created, model, Map.of("role", "assistant", "content", ""), null),
                    delta -> chunk(id, created, model, Map.of("content", delta), null),
                    finish -> chunk(id, created, model, Map.of(), finish));
        }
        PreparedGeneration.Whole w = g.whole(ticket);
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("message", Map.of("role", "assistant", "content", w.text()));
        choice.put("finish_reason", w.result().finishReason());
        return Response.ok(PreparedGeneration.envelope(id, "chat.completion", created, model, choice, w.usage(g.prompt().length)))
                .type(MediaType.APPLICATION_JSON).build();
    }

    private static Map<String, Object> chunk(String id, long created, String model, Map<String, String> delta, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("finish_reason", finish);
        return PreparedGeneration.envelope(id, "chat.completion.chunk", created, model, choice, null);
    }
}
