package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.llmsuite.service.ProblemException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.util.Collection;

/** Fine-tuning jobs and the datasets they train on (docs/api.md). */
@Path("/v1")
public class FinetuneResource {
    private final FinetuneJobs jobs;
    private final FinetuneDatasets datasets;

    FinetuneResource(FinetuneJobs jobs, FinetuneDatasets datasets) {
        this.jobs = jobs;
        this.datasets = datasets;
    }

    @POST
    @Path("/finetune-jobs")
    public Response submit(FinetuneSpec spec) {
        if (spec == null) throw ProblemException.badRequest("a JSON job spec is required");
        FinetuneStatus s = jobs.submit(spec);
        return Response.status(201).header("Location", "/v1/finetune-jobs/" + s.id()).entity(s).build();
    }

    public record JobList(Collection<FinetuneStatus> jobs) {}

    @GET
    @Path("/finetune-jobs")
    public JobList list() {
        return new JobList(jobs.all());
    }

    @GET
    @Path("/finetune-jobs/{id}")
    public FinetuneStatus one(@PathParam("id") String id) {
        return jobs.status(id);
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
