package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.finetune.ClassifierTraining;
import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/classify}: text → label and class probabilities, with the classification head saved
 * beside a model (the book's chapter 6). Each text is cut to the model's context (its beginning is kept,
 * as in fine-tuning) and read at its last token. The forward runs on the model's decode thread between
 * decode steps, so classification and generation share one model safely.
 */
@Path("/v1/classify")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class ClassifyResource {
    static final int MAX_INPUTS = 64;
    private final ModelRegistry registry;
    private final InferenceConfig config;
    private final GenerationGate gate;

    ClassifyResource(ModelRegistry registry, InferenceConfig config, GenerationGate gate) {
        this.registry = registry;
        this.config = config;
        this.gate = gate;
    }

    /** Each input's label, the probability of every label, and whether the input was cut to the context. */
    public record Classification(int index, String label, Map<String, Double> probabilities, boolean truncated) {}

    public record ClassifyUsage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {}

    public record ClassifyResponse(String object, String model, List<Classification> data, ClassifyUsage usage) {}

    @POST
    public ClassifyResponse classify(ClassifyRequest req) throws Exception {
        if (req == null || req.model() == null) throw ProblemException.badRequest("'model' is required");
        LoadedModel m = registry.get(req.model()).orElseThrow(() -> ProblemException.notFound("model '" + req.model() + "' is not loaded"));
        ClassifierFiles.Classifier classifier = m.classifier();
        if (classifier == null) throw new ProblemException(422, "model '" + m.name() + "' has no classification head (" + ClassifierFiles.FILE + ")");
        if (m.tokenizer() == null) throw new ProblemException(422, "model '" + m.name() + "' was trained on a vocabulary this service does not have");
        List<String> texts = new ArrayList<>();
        if (req.input() != null && req.input().isTextual()) {
            texts.add(req.input().asText());
        } else if (req.input() != null && req.input().isArray() && !req.input().isEmpty() && req.input().size() <= MAX_INPUTS) {
            for (var t : req.input()) {
                if (!t.isTextual()) throw ProblemException.badRequest("'input' must be a string or a list of strings");
                texts.add(t.asText());
            }
        } else {
            throw ProblemException.badRequest("'input' must be a string or a list of 1 to " + MAX_INPUTS + " strings");
        }
        for (String t : texts) {
            if (t.length() > config.maxPromptChars()) throw ProblemException.tooLarge("an input is " + t.length() + " chars; the limit is " + config.maxPromptChars());
        }
        int context = m.decoder().contextLength();
        List<int[]> ids = new ArrayList<>();
        List<Boolean> truncated = new ArrayList<>();
        int tokens = 0;
        double[][] probabilities;
        try (GenerationGate.Ticket ticket = gate.admit()) { // a slot like a generation's, before any tokenizing: 429 when full
            for (String t : texts) {
                int[] x = m.prompts().encodeInput(t);
                if (x.length == 0) throw ProblemException.badRequest("an input is empty");
                truncated.add(x.length > context);
                x = x.length > context ? Arrays.copyOf(x, context) : x;
                tokens += x.length;
                ids.add(x);
            }
            ticket.start();
            probabilities = m.scheduler().call(() -> ClassifierTraining.probabilities(classifier.head(), ids)).get();
        }
        List<Classification> data = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            Map<String, Double> p = new LinkedHashMap<>();
            int best = 0;
            for (int k = 0; k < classifier.labels().size(); k++) {
                p.put(classifier.labels().get(k), probabilities[i][k]);
                if (probabilities[i][k] > probabilities[i][best]) best = k;
            }
            data.add(new Classification(i, classifier.labels().get(best), p, truncated.get(i)));
        }
        return new ClassifyResponse("list", m.name(), data, new ClassifyUsage(tokens, tokens));
    }
}
