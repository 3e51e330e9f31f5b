package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.io.AnnouncedCheckpoints;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.ModelEvaluation;
import dev.llmsuite.records.ModelPromotion;
import dev.llmsuite.records.Names;
import dev.llmsuite.service.KafkaMessages;
import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * {@code /v1/models}: each model's checkpoints with their evaluations and the promotion in force ({@link ModelHistory},
 * the same on every replica), and promotion by hand. A manual promotion is verified like the evaluator's (the
 * checkpoint is on disk under llm.trainer.checkpoint-dir with the announced hashes) and published on
 * {@code model.promotions}; inference-service serves it under the model's name.
 */
@Path("/v1/models")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class ModelsResource {
    private final ModelHistory history;
    private final MutinyEmitter<String> promotions;
    private final ObjectMapper json;
    private final AnnouncedCheckpoints checkpoints;

    ModelsResource(ModelHistory history, @Channel("promotions") MutinyEmitter<String> promotions, ObjectMapper json, TrainerConfig config) {
        this.history = history;
        this.promotions = promotions;
        this.json = json;
        this.checkpoints = new AnnouncedCheckpoints(config.checkpointDir(), "llm.trainer.checkpoint-dir");
    }

    @GET
    public List<ModelHistory.ModelView> all() {
        return history.all();
    }

    @GET
    @Path("/{model}")
    public ModelHistory.ModelView one(@PathParam("model") String model) {
        return history.one(model).orElseThrow(() -> ProblemException.notFound("no model '" + Names.quoted(model) + "' has been announced"));
    }

    @POST
    @Path("/{model}/promotions")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response promote(@PathParam("model") String model, PromotionRequest request) {
        if (request == null || request.step() == null) throw ProblemException.badRequest("a JSON body with 'step' is required");
        if (request.reason() != null && request.reason().length() > PromotionRequest.MAX_REASON) {
            throw ProblemException.badRequest("'reason' may hold at most " + PromotionRequest.MAX_REASON + " characters");
        }
        if (!Names.valid(model)) throw ProblemException.notFound("no model " + Names.quoted(model));
        CheckpointAnnouncement a = history.announcement(model, request.step())
                .orElseThrow(() -> ProblemException.notFound("model '" + model + "' has no announced checkpoint of step " + request.step()));
        try {
            checkpoints.verified(a);
        } catch (IOException e) {
            throw new ProblemException(409, "step " + request.step() + " of '" + model + "' cannot be served: " + e.getMessage());
        }
        Map<String, Double> metrics = history.evaluation(model, a.step()).map(ModelEvaluation::metrics).orElse(a.metrics());
        String reason = "by hand" + (request.reason() == null || request.reason().isBlank() ? "" : ": " + request.reason().strip());
        ModelPromotion p = new ModelPromotion(model, a.step(), a.path(), a.hashes(), ModelPromotion.By.MANUAL, reason, metrics,
                System.currentTimeMillis());
        try {
            promotions.sendMessage(KafkaMessages.keyed(model, json.writeValueAsString(p))).await().atMost(Duration.ofSeconds(30));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        history.promoted(p);
        return Response.created(URI.create("/v1/models/" + model)).entity(p).build();
    }
}
