package dev.llmsuite.services.trainer;

import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Collection;

/** {@code /v1/jobs}: start, watch and stop pre-training jobs. */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {
    private final TrainingJobs trainer;
    private final JobCheckpointing checkpointing;

    JobsResource(TrainingJobs trainer, JobCheckpointing checkpointing) {
        this.trainer = trainer;
        this.checkpointing = checkpointing;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response start(JobSpec spec) {
        if (spec == null) throw ProblemException.badRequest("a JSON body is required");
        JobStatus s = trainer.start(spec);
        return Response.created(URI.create("/v1/jobs/" + s.id())).entity(s).build();
    }

    @GET
    public Collection<JobStatus> all() {
        return trainer.all();
    }

    @GET
    @Path("/{id}")
    public JobStatus one(@PathParam("id") String id) {
        return trainer.job(id).status();
    }

    /** Stops the job after its current step and writes its final checkpoint. */
    @DELETE
    @Path("/{id}")
    @Blocking
    public JobStatus stop(@PathParam("id") String id) {
        return checkpointing.stop(id);
    }
}
