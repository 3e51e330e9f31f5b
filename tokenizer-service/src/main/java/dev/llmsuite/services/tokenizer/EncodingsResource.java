package dev.llmsuite.services.tokenizer;

import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.Utf8;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The loaded vocabularies, and training a new one from an uploaded corpus. */
@Path("/v1/encodings")
@Produces(MediaType.APPLICATION_JSON)
public class EncodingsResource {
    private final TokenizerRegistry registry;
    private final VocabularyTrainingJobs jobs;
    private final TokenizerConfig config;

    EncodingsResource(TokenizerRegistry registry, VocabularyTrainingJobs jobs, TokenizerConfig config) {
        this.registry = registry;
        this.jobs = jobs;
        this.config = config;
    }

    public record EncodingInfo(String name, String hash, int size, Map<String, Integer> special_tokens) {}

    @GET
    public List<EncodingInfo> list() {
        return registry.all().stream().map(t -> new EncodingInfo(t.vocabulary().name(), t.vocabulary().hash(),
                t.vocabulary().size(), t.vocabulary().specialTokens())).toList();
    }

    /**
     * Trains a byte-level BPE vocabulary on the request body (UTF-8 text). Answers 202 with a job whose
     * progress {@code GET /v1/encodings/jobs/{id}} shows.
     */
    @POST
    @Path("/train")
    @Consumes(MediaType.TEXT_PLAIN)
    @Blocking
    public Response train(@QueryParam("name") String name, @QueryParam("vocab_size") Integer vocabSize,
                          @QueryParam("special") @DefaultValue("<|endoftext|>") String specials,
                          @QueryParam("min_frequency") @DefaultValue("2") int minFrequency, byte[] corpus) {
        DocumentResource.requireId("name", name);
        if (vocabSize == null) throw ProblemException.badRequest("'vocab_size' is required");
        if (vocabSize > config.training().maxVocabSize()) {
            throw ProblemException.badRequest("'vocab_size' " + vocabSize + " is over the limit " + config.training().maxVocabSize());
        }
        if (corpus == null || corpus.length == 0) throw ProblemException.badRequest("the body (the corpus) is empty");
        if (corpus.length > config.training().maxCorpusBytes()) {
            throw ProblemException.tooLarge("corpus is " + corpus.length + " bytes; the limit is " + config.training().maxCorpusBytes());
        }
        String text;
        try {
            text = Utf8.decodeStrict(corpus);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("corpus is not UTF-8: " + e.getMessage());
        }
        List<String> specialList = specials.isBlank() ? List.of() : Arrays.asList(specials.split(","));
        var status = jobs.start(name, vocabSize, specialList, minFrequency, text);
        return Response.accepted(status).header("Location", "/v1/encodings/jobs/" + status.id()).build();
    }

    @GET
    @Path("/jobs/{id}")
    public VocabularyTrainingJobs.JobStatus job(@PathParam("id") String id) {
        return jobs.status(id).orElseThrow(() -> ProblemException.notFound("no training job " + id));
    }

}
