package dev.llmsuite.services.sampler;

import dev.llmsuite.service.ProblemException;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/** {@code /v1/datasets/{id}/sampling}: set a dataset's sampling before its tokens arrive; watch its progress. */
@Path("/v1/datasets/{id}/sampling")
@Produces(MediaType.APPLICATION_JSON)
public class SamplingResource {
    private final TokenSampler sampler;

    SamplingResource(TokenSampler sampler) {
        this.sampler = sampler;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response define(@PathParam("id") String dataset, SamplingSpec spec) {
        if (spec == null) throw ProblemException.badRequest("a JSON body is required");
        if (!dataset.matches("[A-Za-z0-9._-]{1,128}")) throw ProblemException.badRequest("dataset id must be 1-128 of A-Z a-z 0-9 . _ -");
        return Response.status(201).entity(sampler.define(dataset, spec)).build();
    }

    @GET
    @Blocking
    public Map<String, Object> status(@PathParam("id") String dataset) {
        return sampler.status(dataset).orElseThrow(() -> ProblemException.notFound("no sampling for dataset '" + dataset + "'"));
    }
}
