package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.SpecialTokenPolicy;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/completions}, OpenAI's shape: prompt → generated text with the KV-cached generator.
 * Defaults follow OpenAI's (max_tokens 16, temperature 1, top_p 1); top_k (0 = off) and seed are ours.
 * Generation stops at {@code <|endoftext|>}, at a stop string (not included), or at max_tokens.
 */
@Path("/v1/completions")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class CompletionsResource {
    private static final int END_OF_TEXT = 50256;

    private final ModelRegistry registry;
    private final InferenceConfig config;

    CompletionsResource(ModelRegistry registry, InferenceConfig config) {
        this.registry = registry;
        this.config = config;
    }

    @POST
    @Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
    public Response complete(CompletionRequest req) {
        if (req == null || req.model() == null) throw ProblemException.badRequest("'model' is required");
        if (req.prompt() == null) throw ProblemException.badRequest("'prompt' is required (a string)");
        LoadedModel m = registry.get(req.model()).orElseThrow(() -> ProblemException.notFound("model '" + req.model() + "' is not loaded"));
        if (m.tokenizer() == null) {
            throw new ProblemException(422, "model '" + m.name() + "' was trained on a vocabulary this service does not have");
        }
        if (req.prompt().length() > config.maxPromptChars()) {
            throw ProblemException.tooLarge("prompt is " + req.prompt().length() + " chars; the limit is " + config.maxPromptChars());
        }
        int maxTokens = req.maxTokens() == null ? 16 : req.maxTokens();
        if (maxTokens < 0 || maxTokens > config.maxTokensCap()) {
            throw ProblemException.badRequest("'max_tokens' must be in [0, " + config.maxTokensCap() + "], got " + maxTokens);
        }
        int[] prompt = m.tokenizer().encode(req.prompt(), SpecialTokenPolicy.ALLOW_ALL);
        int context = m.model().config().contextLength();
        if (prompt.length == 0) throw ProblemException.badRequest("'prompt' is empty");
        if (prompt.length > context) {
            throw ProblemException.badRequest("prompt is " + prompt.length + " tokens; the model's context is " + context + " tokens");
        }
        SamplingParams params;
        try {
            params = new SamplingParams(maxTokens, req.temperature() == null ? 1.0 : req.temperature(),
                    req.topK() == null ? 0 : req.topK(), req.topP() == null ? 1.0 : req.topP(),
                    req.seed() == null ? System.nanoTime() : req.seed(), Set.of(END_OF_TEXT));
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        List<String> stops = stops(req.stop());

        String id = "cmpl-" + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        if (Boolean.TRUE.equals(req.stream())) {
            return Response.ok((StreamingOutput) out -> {
                SseWriter sse = new SseWriter(out);
                Completion.Result r = Completion.run(m, prompt, params, stops,
                        delta -> sse.event(chunk(id, created, m.name(), delta, null)));
                sse.event(chunk(id, created, m.name(), "", r.finishReason()));
                sse.done();
            }).type("text/event-stream").header("Cache-Control", "no-cache").build();
        }
        StringBuilder text = new StringBuilder();
        Completion.Result r = Completion.run(m, prompt, params, stops, delta -> {
            text.append(delta);
            return true;
        });
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("text", text.toString());
        choice.put("index", 0);
        choice.put("logprobs", null);
        choice.put("finish_reason", r.finishReason());
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", prompt.length);
        usage.put("completion_tokens", r.completionTokens());
        usage.put("total_tokens", prompt.length + r.completionTokens());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("object", "text_completion");
        body.put("created", created);
        body.put("model", m.name());
        body.put("choices", List.of(choice));
        body.put("usage", usage);
        return Response.ok(body).build();
    }

    private static Map<String, Object> chunk(String id, long created, String model, String text, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("text", text);
        choice.put("index", 0);
        choice.put("logprobs", null);
        choice.put("finish_reason", finish);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", id);
        c.put("object", "text_completion");
        c.put("created", created);
        c.put("model", model);
        c.put("choices", List.of(choice));
        return c;
    }

    private static List<String> stops(JsonNode stop) {
        List<String> out = new ArrayList<>();
        if (stop == null || stop.isNull()) return out;
        if (stop.isTextual()) out.add(stop.asText());
        else if (stop.isArray() && stop.size() <= 4) for (JsonNode s : stop) {
            if (!s.isTextual()) throw ProblemException.badRequest("'stop' must be a string or up to 4 strings");
            out.add(s.asText());
        }
        else throw ProblemException.badRequest("'stop' must be a string or up to 4 strings");
        out.removeIf(String::isEmpty);
        return out;
    }
}
