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
    public Response chat(ChatRequest req, @Context HttpServerRequest http) {
        if (req == null) throw ProblemException.badRequest("a JSON body is required");
        PreparedGeneration g = PreparedGeneration.of(registry, config, gate, req, AlpacaTemplate.render(req.messages())).cancelOnClose(http);
        String id = "chatcmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        String model = g.model().name();
        boolean logprobs = g.logprobs() >= 0;
        if (Boolean.TRUE.equals(req.stream())) {
            return g.streamed(index -> chunk(id, created, model, index, Map.of("role", "assistant", "content", ""), null, null),
                    (index, text, lps) -> chunk(id, created, model, index, Map.of("content", text), logprobs ? lps : null, null),
                    r -> chunk(id, created, model, r.index(), Map.of(), null, r.finishReason()));
        }
        PreparedGeneration.Whole w = g.whole();
        List<Map<String, Object>> choices = new ArrayList<>();
        for (Completion.Result r : w.results()) {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", r.index());
            choice.put("message", Map.of("role", "assistant", "content", w.texts().get(r.index())));
            choice.put("logprobs", logprobs ? chatLogprobs(w.logprobs().get(r.index())) : null);
            choice.put("finish_reason", r.finishReason());
            choices.add(choice);
        }
        return Response.ok(PreparedGeneration.envelope(id, "chat.completion", created, model, choices, w.usage(g.prompt().length)))
                .type(MediaType.APPLICATION_JSON).build();
    }

    private static Map<String, Object> chunk(String id, long created, String model, int index, Map<String, String> delta,
                                             List<TokenLogprob> logprobs, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", index);
        choice.put("delta", delta);
        choice.put("logprobs", logprobs == null ? null : chatLogprobs(logprobs));
        choice.put("finish_reason", finish);
        return PreparedGeneration.envelope(id, "chat.completion.chunk", created, model, List.of(choice), null);
    }

    /** The chat API's logprobs: one entry per token with its bytes and alternatives. */
    private static Map<String, Object> chatLogprobs(List<TokenLogprob> tokens) {
        List<Map<String, Object>> content = new ArrayList<>();
        for (TokenLogprob t : tokens) {
            Map<String, Object> entry = entry(t);
            entry.put("top_logprobs", t.top().stream().map(ChatCompletionsResource::entry).toList());
            content.add(entry);
        }
        return Map.of("content", content);
    }

    private static Map<String, Object> entry(TokenLogprob t) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("token", t.token());
        e.put("logprob", t.logprob());
        e.put("bytes", t.byteList());
        return e;
    }
}
