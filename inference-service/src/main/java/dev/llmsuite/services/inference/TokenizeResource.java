package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * {@code POST /tokenize} and {@code POST /detokenize} with the served model's tokenizer, in the shapes vLLM's and
 * llama.cpp's servers answer, so their clients work unchanged: the text comes as {@code prompt} (vLLM) or
 * {@code content} (llama.cpp), the answer carries both spellings. A prompt is tokenized as completions tokenize it
 * (special-token spellings such as {@code <|endoftext|>} are the special token; a model that adds BOS gets it first, as
 * vLLM's add_special_tokens default does), so {@code count} is what a completion's prompt costs. Without {@code model}, the one model served is meant.
 */
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Blocking
@Path("/")
public class TokenizeResource {
    /** The most ids one detokenize request may send. */
    static final int MAX_TOKENS = 1 << 20;
    private final ModelRegistry registry;
    private final InferenceConfig config;

    TokenizeResource(ModelRegistry registry, InferenceConfig config) {
        this.registry = registry;
        this.config = config;
    }

    /**
     * @param return_token_strs also answer each id's text (vLLM's {@code token_strs}; bytes that are not whole UTF-8
     *                          characters show as U+FFFD)
     */
    public record TokenizeRequest(String model, String prompt, String content, Boolean return_token_strs) {}

    /** @param max_model_len the model's context: a prompt of more tokens cannot be completed */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokenizeResponse(List<Integer> tokens, int count, int max_model_len, List<String> token_strs) {}

    public record DetokenizeRequest(String model, List<Integer> tokens) {}

    /** The text as {@code prompt} (vLLM) and {@code content} (llama.cpp). */
    public record DetokenizeResponse(String prompt, String content) {}

    @POST
    @Path("tokenize")
    public TokenizeResponse tokenize(TokenizeRequest req) {
        if (req == null) throw ProblemException.badRequest("a JSON body is required");
        if (req.prompt() != null && req.content() != null) throw ProblemException.badRequest("send 'prompt' or 'content', not both");
        String text = req.prompt() != null ? req.prompt() : req.content();
        if (text == null) throw ProblemException.badRequest("'prompt' (or 'content') is required");
        if (text.length() > config.maxPromptChars()) {
            throw ProblemException.badRequest("the text has " + text.length() + " characters; at most " + config.maxPromptChars()
                    + " are taken (llm.inference.max-prompt-chars)");
        }
        LoadedModel m = model(req.model());
        PromptFormat prompts = prompts(m);
        int[] ids = prompts.encode(prompts.completion(text));
        List<String> pieces = null;
        if (Boolean.TRUE.equals(req.return_token_strs())) {
            pieces = Arrays.stream(ids).mapToObj(id -> new String(prompts.tokenizer().decodeBytes(new int[] {id}), StandardCharsets.UTF_8)).toList();
        }
        return new TokenizeResponse(Arrays.stream(ids).boxed().toList(), ids.length, m.decoder().contextLength(), pieces);
    }

    @POST
    @Path("detokenize")
    public DetokenizeResponse detokenize(DetokenizeRequest req) {
        if (req == null || req.tokens() == null) throw ProblemException.badRequest("'tokens' is required");
        if (req.tokens().size() > MAX_TOKENS) throw ProblemException.badRequest("at most " + MAX_TOKENS + " tokens a request");
        LoadedModel m = model(req.model());
        int[] ids = new int[req.tokens().size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = req.tokens().get(i);
            if (id == null) throw ProblemException.badRequest("tokens[" + i + "] is null");
            ids[i] = id;
        }
        try {
            String text = prompts(m).tokenizer().decode(ids);
            return new DetokenizeResponse(text, text);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
    }

    private LoadedModel model(String name) {
        if (name == null) {
            List<ModelRegistry.Served> served = registry.all().stream().filter(s -> !s.id().contains("@") && !s.id().contains("+")).toList();
            if (served.size() != 1) throw ProblemException.badRequest("'model' is required: " + served.size() + " models are served");
            return served.getFirst().model();
        }
        return registry.get(name).orElseThrow(() -> ProblemException.notFound("model '" + name + "' is not loaded"));
    }

    private static PromptFormat prompts(LoadedModel m) {
        if (m.prompts() == null) throw new ProblemException(422, "model '" + m.name() + "' was trained on a vocabulary this service does not have");
        return m.prompts();
    }
}
