package dev.llmsuite.services.trainer;

import dev.llmsuite.service.ProblemException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

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

    @GET
    @Path("/finetune-jobs")
    public Map<String, Collection<FinetuneStatus>> list() {
        return Map.of("jobs", jobs.all());
    }

    @GET
    @Path("/finetune-jobs/{id}")
    public FinetuneStatus one(@PathParam("id") String id) {
        return jobs.status(id);
    }

    /** A dataset on finetune.examples: arriving (with the count so far), ready, or failed with the reason. */
    @GET
    @Path("/finetune-datasets/{name}")
    public Map<String, Object> dataset(@PathParam("name") String name) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        var closed = datasets.get(name);
        int arriving = datasets.arriving(name);
        if (closed.isEmpty() && arriving == 0) throw ProblemException.notFound("no dataset '" + name + "' on finetune.examples");
        if (arriving > 0) {
            r.put("state", "arriving");
            r.put("examples", arriving);
        } else {
            r.put("state", closed.get().error() == null ? "ready" : "failed");
            r.put("examples", closed.get().size());
            if (closed.get().error() != null) r.put("error", closed.get().error());
        }
        return r;
    }
}
