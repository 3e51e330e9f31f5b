package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Names;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.service.ReplicaForwarding;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * {@code /v1/jobs}: start, watch and stop pre-training jobs, on whichever replica the request reaches. A job lives
 * on the replica that owns its dataset's partition; a request for one that lives elsewhere is answered by that
 * replica ({@link TrainerReplicas}), and the list gathers every replica's jobs.
 */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class JobsResource {
    private final TrainingJobs trainer;
    private final JobCheckpointing checkpointing;
    private final TrainerReplicas replicas;
    private final ObjectMapper json;

    JobsResource(TrainingJobs trainer, JobCheckpointing checkpointing, TrainerReplicas replicas, ObjectMapper json) {
        this.trainer = trainer;
        this.checkpointing = checkpointing;
        this.replicas = replicas;
        this.json = json;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response start(JobSpec spec, @HeaderParam(TrainerReplicas.FORWARDED) String forwarded,
                          @HeaderParam("Authorization") String authorization) {
        if (spec == null) throw ProblemException.badRequest("a JSON body is required");
        Optional<Integer> elsewhere = trainer.ownedElsewhere(spec);
        if (elsewhere.isPresent() && forwarded == null) {
            return replicas.forward(replicas.ownerOf(elsewhere.get()), "POST", "/v1/jobs", toJson(spec), authorization).toResponse();
        }
        JobStatus s = trainer.start(spec);
        return Response.created(URI.create("/v1/jobs/" + s.id())).entity(s).build();
    }

    /** Every replica's jobs. */
    @GET
    public Collection<JobStatus> all(@HeaderParam(TrainerReplicas.FORWARDED) String forwarded,
                                     @HeaderParam("Authorization") String authorization) {
        List<JobStatus> all = new ArrayList<>(trainer.all());
        if (forwarded != null) return all;
        for (String other : replicas.others()) {
            ReplicaForwarding.Answer answer = replicas.forward(other, "GET", "/v1/jobs", null, authorization);
            if (answer.status() != 200) throw new ProblemException(502, "the trainer replica at " + other + " answered " + answer.status());
            all.addAll(fromJson(answer.body()));
        }
        return all;
    }

    @GET
    @Path("/{id}")
    public Response one(@PathParam("id") String id, @HeaderParam(TrainerReplicas.FORWARDED) String forwarded,
                        @HeaderParam("Authorization") String authorization) {
        if (trainer.holds(id) || forwarded != null) return Response.ok(trainer.job(id).status()).build();
        return fromTheReplicaThatHolds(id, "GET", authorization);
    }

    /** Stops the job after its current step and writes its final checkpoint. */
    @DELETE
    @Path("/{id}")
    public Response stop(@PathParam("id") String id, @HeaderParam(TrainerReplicas.FORWARDED) String forwarded,
                         @HeaderParam("Authorization") String authorization) {
        if (trainer.holds(id) || forwarded != null) return Response.ok(checkpointing.stop(id)).build();
        return fromTheReplicaThatHolds(id, "DELETE", authorization);
    }

    /** Asks each other replica in turn; the first that holds the job answers. */
    private Response fromTheReplicaThatHolds(String id, String method, String authorization) {
        if (!Names.valid(id)) throw ProblemException.notFound("no job '" + id + "'"); // nothing but an id goes into the URL
        for (String other : replicas.others()) {
            ReplicaForwarding.Answer answer = replicas.forward(other, method, "/v1/jobs/" + id, null, authorization);
            if (answer.status() != 404) return answer.toResponse();
        }
        throw ProblemException.notFound("no job '" + id + "'");
    }

    private String toJson(JobSpec spec) {
        try {
            return json.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<JobStatus> fromJson(String body) {
        try {
            return json.readValue(body, new TypeReference<List<JobStatus>>() { });
        } catch (JsonProcessingException e) {
            throw new ProblemException(502, "a trainer replica answered a job list that is not one: " + e.getOriginalMessage());
        }
    }
}
