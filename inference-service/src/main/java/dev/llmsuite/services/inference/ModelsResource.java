package dev.llmsuite.services.inference;

import dev.llmsuite.service.ProblemException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** {@code GET /v1/models} in the OpenAI list format, plus the checkpoint each model is served from. */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {
    private final ModelRegistry registry;

    ModelsResource(ModelRegistry registry) {
        this.registry = registry;
    }

    public record ModelCard(String id, String object, long created, String owned_by,
                            long step, String checkpoint, long tokens_seen, String weights) {
        static ModelCard of(LoadedModel m) {
            return new ModelCard(m.name(), "model", m.checkpoint().createdAtMillis() / 1000, "llm-suite",
                    m.checkpoint().step(), m.checkpoint().path(), m.tokensSeen(), m.decoder().quantized() ? "int8" : "fp32");
        }
    }

    /** OpenAI's list of models. */
    public record ModelList(String object, List<ModelCard> data) {}

    @GET
    public ModelList list() {
        return new ModelList("list", registry.all().stream().map(ModelCard::of).toList());
    }

    @GET
    @Path("/{model}")
    public ModelCard one(@PathParam("model") String model) {
        return registry.get(model).map(ModelCard::of)
                .orElseThrow(() -> ProblemException.notFound("model '" + model + "' is not loaded"));
    }
}
