package dev.llmsuite.services.tokenizer;

import dev.llmsuite.records.DocumentRecord;
import dev.llmsuite.records.Names;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.service.KafkaMessages;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.SpecialTokenPolicy;
import dev.llmsuite.tokenizer.Utf8;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code corpus.documents} → {@code corpus.tokens}. A record is a document in one of {@link DocumentShapes}' shapes
 * (binary, JSON or plain text, so any producer can feed the suite). Each document is encoded (off the event loop) and
 * ends with the end-of-text token, so documents stay apart downstream. Special-token text inside a
 * document is plain text: data never injects control tokens. A document is acknowledged only after
 * all its chunks are on Kafka; one that cannot be tokenized is nacked with the reason and lands on the
 * dead-letter topic.
 */
@ApplicationScoped
public class DocumentTokenizer {
    private static final Logger LOG = Logger.getLogger(DocumentTokenizer.class);
    static final String END_OF_TEXT = "<|endoftext|>";

    private final MutinyEmitter<byte[]> tokens;
    private final TokenizerConfig config;
    private final TokenizerRegistry registry;
    private final Counter documentsTokenized;
    private final Counter documentsRejected;
    private final Counter tokensProduced;
    private final Counter bytesTokenized;
    private final Timer encodeTime;

    DocumentTokenizer(@Channel("tokens") MutinyEmitter<byte[]> tokens, TokenizerConfig config,
                      TokenizerRegistry registry, MeterRegistry meters) {
        this.tokens = tokens;
        this.config = config;
        this.registry = registry;
        this.documentsTokenized = meters.counter("llm.tokenizer.documents", "outcome", "tokenized");
        this.documentsRejected = meters.counter("llm.tokenizer.documents", "outcome", "dead_letter");
        this.tokensProduced = meters.counter("llm.tokenizer.tokens");
        this.bytesTokenized = meters.counter("llm.tokenizer.bytes");
        this.encodeTime = meters.timer("llm.tokenizer.encode");
    }

    /** A document with its ids, ready to be chunked. */
    private record Encoded(DocumentRecord doc, String vocabularyHash, int[] ids) {}

    @Incoming("documents")
    public Uni<Void> onDocument(Message<byte[]> message) {
        return Uni.createFrom().item(() -> encode(read(message)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToUni(e -> publish(e).replaceWith(e))
                .onItem().transformToUni(e -> {
                    documentsTokenized.increment();
                    tokensProduced.increment(e.ids.length);
                    bytesTokenized.increment(e.doc.utf8Text().length);
                    return Uni.createFrom().completionStage(message.ack());
                })
                .onFailure().recoverWithUni(e -> {
                    documentsRejected.increment();
                    LOG.warnf("document rejected to the dead-letter topic: %s", e.getMessage());
                    return Uni.createFrom().completionStage(message.nack(e));
                });
    }

    /** The record's document, whatever its shape (its key, headers and place come with the Kafka metadata). */
    private DocumentRecord read(Message<byte[]> message) {
        var meta = message.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
        String key = meta == null || meta.getKey() == null ? null : meta.getKey().toString();
        var place = new DocumentShapes.Place(meta == null ? -1 : meta.getPartition(), meta == null ? -1 : meta.getOffset());
        return DocumentShapes.read(key, meta == null ? null : meta.getHeaders(), message.getPayload(), place, config.defaultEncoding());
    }

    private Encoded encode(DocumentRecord doc) {
        Names.require("dataset", doc.datasetId()); // anyone may write to the topic: the same ids as the HTTP intake
        Names.require("document", doc.documentId());
        if (doc.utf8Text().length > config.maxDocumentBytes()) {
            throw new IllegalArgumentException("document is " + doc.utf8Text().length + " bytes; the limit is "
                    + config.maxDocumentBytes());
        }
        BpeTokenizer t = registry.find(doc.encoding()).orElseThrow(() ->
                new IllegalArgumentException("unknown encoding '" + doc.encoding() + "'"));
        Integer eot = t.vocabulary().specialTokens().get(END_OF_TEXT);
        if (eot == null) throw new IllegalArgumentException("encoding '" + doc.encoding() + "' has no " + END_OF_TEXT);
        String text;
        try {
            text = Utf8.decodeStrict(doc.utf8Text());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("document is not valid UTF-8: " + e.getMessage());
        }
        int[] ids = encodeTime.record(() -> t.encode(text, SpecialTokenPolicy.ORDINARY));
        int[] withEnd = Arrays.copyOf(ids, ids.length + 1);
        withEnd[ids.length] = eot;
        return new Encoded(doc, t.vocabulary().hash(), withEnd);
    }

    private Uni<Void> publish(Encoded e) {
        int chunk = config.chunkTokens();
        int chunks = Math.max(1, (e.ids.length + chunk - 1) / chunk);
        return Multi.createFrom().range(0, chunks)
                .onItem().transformToUniAndConcatenate(i -> {
                    int from = i * chunk;
                    int to = Math.min(e.ids.length, from + chunk);
                    TokenChunk c = new TokenChunk(e.doc.datasetId(), e.doc.documentId(), i, i == chunks - 1,
                            e.vocabularyHash, Arrays.copyOfRange(e.ids, from, to));
                    return tokens.sendMessage(KafkaMessages.keyed(c.key(), c.encode()));
                })
                .collect().last().replaceWithVoid();
    }
}
