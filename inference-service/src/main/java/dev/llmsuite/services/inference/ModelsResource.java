package dev.llmsuite.services.inference;

import dev.llmsuite.records.ModelPromotion;
import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/models} in the OpenAI list format, plus for each name the checkpoint it serves and why: every model
 * appears as {@code NAME} (promoted, or its newest while none is) and {@code NAME@latest}, and as {@code NAME@step-N}
 * for the steps loaded by name.
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class ModelsResource {
    private final ModelRegistry registry;

    ModelsResource(ModelRegistry registry) {
        this.registry = registry;
    }

    /** The promotion in force for the card's model: which step, decided by whom, why, and its evaluation. */
    public record PromotionCard(long step, ModelPromotion.By by, String reason, Map<String, Double> metrics, long promoted_at) {
        static PromotionCard of(ModelPromotion p) {
            return p == null ? null : new PromotionCard(p.step(), p.by(), p.reason(), p.metrics(), p.promotedAtMillis() / 1000);
        }
    }

    /**
     * @param step        the checkpoint's step this name serves
     * @param latest_step the model's newest announced step (NAME@latest)
     * @param promotion   the model's promotion in force; null while none is (then NAME serves the newest)
     */
    public record ModelCard(String id, String object, long created, String owned_by,
                            long step, String checkpoint, long tokens_seen, String weights, Long latest_step, PromotionCard promotion) {
        static ModelCard of(ModelRegistry.Served s) {
            LoadedModel m = s.model();
            return new ModelCard(s.id(), "model", m.checkpoint().createdAtMillis() / 1000, "llm-suite",
                    m.checkpoint().step(), m.checkpoint().path(), m.tokensSeen(), m.decoder().weights().label(),
                    s.latestStep(), PromotionCard.of(s.promotion()));
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
        return registry.served(model).map(ModelCard::of)
                .orElseThrow(() -> ProblemException.notFound("model '" + model + "' is not loaded"));
    }
}
