package dev.llmsuite.services.tokenizer;

import dev.llmsuite.records.DocumentRecord;
import dev.llmsuite.records.Names;
import dev.llmsuite.service.KafkaMessages;
import dev.llmsuite.service.ProblemException;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Accepts documents over HTTP and puts them on {@code corpus.documents}; answers once Kafka has them. */
@Path("/v1/datasets/{dataset}/documents")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class DocumentResource {
    private final MutinyEmitter<byte[]> documents;
    private final TokenizerConfig config;
    private final TokenizerRegistry registry;

    DocumentResource(@Channel("document-intake") MutinyEmitter<byte[]> documents, TokenizerConfig config,
                     TokenizerRegistry registry) {
        this.documents = documents;
        this.config = config;
        this.registry = registry;
    }

    @POST
    public Uni<Response> add(@PathParam("dataset") String dataset, DocumentRequest body) {
        requireId("dataset", dataset);
        if (body == null) throw ProblemException.badRequest("body must be {\"id\": ..., \"text\": ...}");
        requireId("id", body.id());
        if (body.text() == null) throw ProblemException.badRequest("'text' is required");
        byte[] utf8 = body.text().getBytes(StandardCharsets.UTF_8);
        if (utf8.length > config.maxDocumentBytes()) {
            throw ProblemException.tooLarge("document is " + utf8.length + " bytes; the limit is "
                    + config.maxDocumentBytes());
        }
        String encoding = registry.require(body.encoding()).vocabulary().name();
        DocumentRecord record = new DocumentRecord(dataset, body.id(), encoding, utf8);
        return documents.sendMessage(KafkaMessages.keyed(record.key(), record.encode()))
                .replaceWith(() -> Response.accepted(new DocumentAccepted(dataset, body.id(), encoding, utf8.length)).build());
    }

    /** The answer: the document is on corpus.documents. */
    public record DocumentAccepted(String dataset, String document, String encoding, int bytes) {}

    /** Dataset and document ids become Kafka keys and folder names: {@link Names}' rule, 400 otherwise. */
    static void requireId(String what, String value) {
        if (!Names.valid(value)) throw ProblemException.badRequest("'" + what + "' must be " + Names.RULE + ", got " + Names.quoted(value));
    }
}
