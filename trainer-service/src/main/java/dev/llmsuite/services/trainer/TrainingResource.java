package dev.llmsuite.services.trainer;

import dev.llmsuite.service.ProblemException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Collection;

/** What the trainer does per dataset: its running job, else its newest one (the jobs API, by dataset). */
@Path("/v1/training")
@Produces(MediaType.APPLICATION_JSON)
public class TrainingResource {
    private final TrainingJobs trainer;

    TrainingResource(TrainingJobs trainer) {
        this.trainer = trainer;
    }

    @GET
    public Collection<JobStatus> all() {
        return trainer.all();
    }

    @GET
    @Path("/{dataset}")
    public JobStatus one(@PathParam("dataset") String dataset) {
        return trainer.forDataset(dataset).map(TrainingJob::status)
                .orElseThrow(() -> ProblemException.notFound("no training for dataset '" + dataset + "'"));
    }
}
