package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Names;
import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.util.Collection;

/**
 * Fine-tuning jobs and the datasets they train on (docs/api.md). The jobs run on one trainer replica (the owner of
 * partition 0 of train.batches); the others forward the jobs API there. Every replica reads every dataset.
 */
@Path("/v1")
@Blocking
public class FinetuneResource {
    private static final int FINETUNE_PARTITION = 0;
    private final FinetuneJobs jobs;
    private final FinetuneDatasets datasets;
    private final TrainingJobs trainingJobs;
    private final TrainerReplicas replicas;
    private final ObjectMapper json;

    FinetuneResource(FinetuneJobs jobs, FinetuneDatasets datasets, TrainingJobs trainingJobs, TrainerReplicas replicas, ObjectMapper json) {
        this.jobs = jobs;
        this.datasets = datasets;
        this.trainingJobs = trainingJobs;
        this.replicas = replicas;
        this.json = json;
    }

    /** Whether the request goes to the replica that runs fine-tuning (not this one, and not forwarded here already). */
    private boolean elsewhere(String forwarded) {
        return forwarded == null && !trainingJobs.ownsPartition(FINETUNE_PARTITION);
    }

    private Response forward(String method, String path, String body, String authorization) {
        return replicas.forward(replicas.ownerOf(FINETUNE_PARTITION), method, path, body, authorization).toResponse();
    }

    @POST
    @Path("/finetune-jobs")
    public Response submit(FinetuneSpec spec, @HeaderParam(TrainerReplicas.FORWARDED) String forwarded,
                           @HeaderParam("Authorization") String authorization) throws JsonProcessingException {
        if (spec == null) throw ProblemException.badRequest("a JSON job spec is required");
        if (elsewhere(forwarded)) return forward("POST", "/v1/finetune-jobs", json.writeValueAsString(spec), authorization);
        FinetuneStatus s = jobs.submit(spec);
        return Response.status(201).header("Location", "/v1/finetune-jobs/" + s.id()).entity(s).build();
    }

    public record JobList(Collection<FinetuneStatus> jobs) {}

    @GET
    @Path("/finetune-jobs")
    public Response list(@HeaderParam(TrainerReplicas.FORWARDED) String forwarded, @HeaderParam("Authorization") String authorization) {
        if (elsewhere(forwarded)) return forward("GET", "/v1/finetune-jobs", null, authorization);
        return Response.ok(new JobList(jobs.all())).build();
    }

    @GET
    @Path("/finetune-jobs/{id}")
    public Response one(@PathParam("id") String id, @HeaderParam(TrainerReplicas.FORWARDED) String forwarded,
                        @HeaderParam("Authorization") String authorization) {
        if (!Names.valid(id)) throw ProblemException.notFound("no fine-tuning job '" + id + "'");
        if (elsewhere(forwarded)) return forward("GET", "/v1/finetune-jobs/" + id, null, authorization);
        return Response.ok(jobs.status(id)).build();
    }

    /** A fine-tuning dataset's state: still arriving (more examples may come), ready, or failed with the reason. */
    public enum DatasetState {
        ARRIVING, READY, FAILED;

        @JsonValue
        public String text() {
            return name().toLowerCase();
        }
    }

    /** A dataset on finetune.examples, and how many examples it has (so far, while arriving). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DatasetStatus(String name, DatasetState state, int examples, String error) {}

    @GET
    @Path("/finetune-datasets/{name}")
    public DatasetStatus dataset(@PathParam("name") String name) {
        var closed = datasets.get(name);
        int arriving = datasets.arriving(name);
        if (closed.isEmpty() && arriving == 0) throw ProblemException.notFound("no dataset '" + name + "' on finetune.examples");
        if (arriving > 0) return new DatasetStatus(name, DatasetState.ARRIVING, arriving, null);
        String error = closed.get().error();
        return new DatasetStatus(name, error == null ? DatasetState.READY : DatasetState.FAILED, closed.get().size(), error);
    }
}
