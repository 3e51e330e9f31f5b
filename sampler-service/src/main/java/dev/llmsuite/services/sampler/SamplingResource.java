package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Names;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.service.ReplicaForwarding;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code /v1/datasets/{id}/sampling}: set a dataset's sampling before its tokens arrive; watch its progress. */
@Path("/v1/datasets/{id}/sampling")
@Produces(MediaType.APPLICATION_JSON)
public class SamplingResource {
    private final DatasetSamplers sampler;

    SamplingResource(DatasetSamplers sampler) {
        this.sampler = sampler;
    }

    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public Response define(@PathParam("id") String dataset, SamplingSpec spec, @HeaderParam("Authorization") String authorization) {
        if (spec == null) throw ProblemException.badRequest("a JSON body is required");
        requireName(dataset);
        return Response.status(201).entity(sampler.define(dataset, spec, authorization)).build();
    }

    @GET
    @Blocking
    public SamplingStatus status(@PathParam("id") String dataset, @HeaderParam(ReplicaForwarding.FORWARDED) String forwarded,
                                 @HeaderParam("Authorization") String authorization) {
        requireName(dataset);
        return sampler.status(dataset, forwarded != null, authorization)
                .orElseThrow(() -> ProblemException.notFound("no sampling for dataset '" + dataset + "'"));
    }

    private static void requireName(String dataset) {
        if (!Names.valid(dataset)) throw ProblemException.badRequest("dataset id must be " + Names.RULE + ", got " + Names.quoted(dataset));
    }
}
