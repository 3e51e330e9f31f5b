package dev.llmsuite.services.trainer;

import dev.llmsuite.records.Names;
import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Collection;

/**
 * What the trainer does per dataset: its running job, else its newest one (the jobs API, by dataset), answered by
 * the replica that owns the dataset's partition wherever the request arrives.
 */
@Path("/v1/training")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class TrainingResource {
    private final TrainingJobs trainer;
    private final TrainerReplicas replicas;
    private final JobsResource jobs;

    TrainingResource(TrainingJobs trainer, TrainerReplicas replicas, JobsResource jobs) {
        this.trainer = trainer;
        this.replicas = replicas;
        this.jobs = jobs;
    }

    @GET
    public Collection<JobStatus> all(@HeaderParam(TrainerReplicas.FORWARDED) String forwarded,
                                     @HeaderParam("Authorization") String authorization) {
        return jobs.all(forwarded, authorization);
    }

    @GET
    @Path("/{dataset}")
    public Response one(@PathParam("dataset") String dataset, @HeaderParam(TrainerReplicas.FORWARDED) String forwarded,
                        @HeaderParam("Authorization") String authorization) {
        if (!Names.valid(dataset)) throw ProblemException.notFound("no training for dataset '" + dataset + "'");
        if (forwarded == null && !trainer.ownsDataset(dataset)) {
            return replicas.forward(replicas.ownerOf(trainer.partitionOf(dataset)), "GET", "/v1/training/" + dataset, null,
                    authorization).toResponse();
        }
        return Response.ok(trainer.forDataset(dataset).map(TrainingJob::status)
                .orElseThrow(() -> ProblemException.notFound("no training for dataset '" + dataset + "'"))).build();
    }
}
