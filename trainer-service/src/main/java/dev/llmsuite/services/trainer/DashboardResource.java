package dev.llmsuite.services.trainer;

import dev.llmsuite.service.ProblemException;
import io.smallrye.mutiny.Multi;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * What the training dashboard (the page at {@code /}) reads: the history to draw on load, then the live events.
 * The jobs themselves come from {@code /v1/jobs} and {@code /v1/finetune-jobs}, the models from {@code /v1/models}.
 */
@Path("/v1/dashboard")
public class DashboardResource {
    private final MetricsHistory metrics;
    private final ModelHistory models;
    private final DashboardEvents events;

    DashboardResource(MetricsHistory metrics, ModelHistory models, DashboardEvents events) {
        this.metrics = metrics;
        this.models = models;
        this.events = events;
    }

    /** Every job's curve and every model's checkpoints, as far as this replica has read the topics. */
    public record History(List<MetricsHistory.Series> series, List<ModelHistory.ModelView> models) {}

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public History history() {
        return new History(metrics.all(), models.all());
    }

    /** Server-sent events, one JSON {@link DashboardEvent} each, from now on. */
    @GET
    @Path("/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    public Multi<DashboardEvent> events() {
        if (!events.admit()) throw new ProblemException(503, "at most " + DashboardEvents.MAX_WATCHERS + " dashboards may watch at once");
        return events.stream();
    }
}
