package dev.llmsuite.services.inference;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llmsuite.engine.generate.Embeddings;
import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * {@code POST /v1/embeddings}: each input's embedding ({@link Embeddings}: the final hidden states' mean, at unit
 * length), in OpenAI's request and response shape, so its clients work unchanged. An input over the model's context
 * is refused (400), not cut. The forwards run on the model's decode thread between decode steps, as classification's.
 */
@Path("/v1/embeddings")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class EmbeddingsResource {
    static final int MAX_INPUTS = 256;
    private final ModelRegistry registry;
    private final InferenceConfig config;
    private final GenerationGate gate;

    EmbeddingsResource(ModelRegistry registry, InferenceConfig config, GenerationGate gate) {
        this.registry = registry;
        this.config = config;
        this.gate = gate;
    }

    /** One input's vector: a list of floats, or their little-endian float32 bytes in base64. */
    public record Embedding(String object, int index,
                            @Schema(oneOf = {float[].class, String.class}, description = "floats, or base64 of little-endian float32")
                            Object embedding) {}

    public record EmbeddingsUsage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {}

    public record EmbeddingsResponse(String object, List<Embedding> data, String model, EmbeddingsUsage usage) {}

    @POST
    public EmbeddingsResponse embed(EmbeddingsRequest req) throws Exception {
        if (req == null || req.model() == null) throw ProblemException.badRequest("'model' is required");
        LoadedModel m = registry.get(req.model()).orElseThrow(() -> ProblemException.notFound("model '" + req.model() + "' is not loaded"));
        boolean base64 = switch (req.encodingFormat() == null ? "float" : req.encodingFormat()) {
            case "float" -> false;
            case "base64" -> true;
            default -> throw ProblemException.badRequest("'encoding_format' must be \"float\" or \"base64\"");
        };
        int width = m.embeddingWidth();
        int dimensions = req.dimensions() == null ? width : req.dimensions();
        if (dimensions < 1 || dimensions > width) throw ProblemException.badRequest("'dimensions' must be in [1, " + width + "], got " + dimensions);
        int context = m.decoder().contextLength(), total = 0;
        List<float[]> vectors;
        try (GenerationGate.Ticket ticket = gate.admit()) { // a slot like a generation's, before any tokenizing: 429 when full
            List<int[]> inputs = tokens(m, req.input());
            for (int i = 0; i < inputs.size(); i++) {
                int n = inputs.get(i).length;
                if (n == 0) throw ProblemException.badRequest("input " + i + " is empty");
                if (n > context) throw ProblemException.badRequest("input " + i + " is " + n + " tokens; the model's context is " + context + " tokens");
                total += n;
            }
            ticket.start();
            vectors = m.scheduler().call(() -> {
                List<float[]> out = new ArrayList<>();
                for (int[] ids : inputs) out.add(m.embedding(ids, dimensions));
                return out;
            }).get();
        }
        List<Embedding> data = new ArrayList<>();
        for (int i = 0; i < vectors.size(); i++) data.add(new Embedding("embedding", i, base64 ? base64(vectors.get(i)) : vectors.get(i)));
        return new EmbeddingsResponse("list", data, m.name(), new EmbeddingsUsage(total, total));
    }

    /** The inputs as token ids: texts through the model's tokenizer, ids as given (checked against the vocabulary). */
    private List<int[]> tokens(LoadedModel m, JsonNode input) {
        String shape = "'input' must be a string, a list of 1 to " + MAX_INPUTS + " strings, a list of token ids, or a list of such lists";
        if (input == null || input.isNull()) throw ProblemException.badRequest(shape);
        List<int[]> out = new ArrayList<>();
        if (input.isTextual()) {
            out.add(encode(m, input.asText()));
        } else if (input.isArray() && !input.isEmpty() && input.size() <= MAX_INPUTS && input.get(0).isIntegralNumber()) {
            out.add(ids(m, input, shape));
        } else if (input.isArray() && !input.isEmpty() && input.size() <= MAX_INPUTS) {
            for (JsonNode item : input) {
                if (item.isTextual()) out.add(encode(m, item.asText()));
                else if (item.isArray()) out.add(ids(m, item, shape));
                else throw ProblemException.badRequest(shape);
            }
        } else {
            throw ProblemException.badRequest(shape);
        }
        return out;
    }

    private int[] encode(LoadedModel m, String text) {
        if (m.prompts() == null) throw new ProblemException(422, "model '" + m.name() + "' was trained on a vocabulary this service does not have; send token ids");
        if (text.length() > config.maxPromptChars()) throw ProblemException.tooLarge("an input is " + text.length() + " chars; the limit is " + config.maxPromptChars());
        return m.prompts().encodeInput(text);
    }

    private static int[] ids(LoadedModel m, JsonNode array, String shape) {
        int vocabulary = m.decoder().vocabSize(), context = m.decoder().contextLength();
        if (array.size() > context) throw ProblemException.badRequest("an input is " + array.size() + " tokens; the model's context is " + context + " tokens");
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = array.get(i);
            if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0 || id.asInt() >= vocabulary) {
                throw ProblemException.badRequest("token id " + id + " is not in the vocabulary [0, " + vocabulary + ") (" + shape + ")");
            }
            ids[i] = id.asInt();
        }
        return ids;
    }

    private static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return Base64.getEncoder().encodeToString(b.array());
    }
}
