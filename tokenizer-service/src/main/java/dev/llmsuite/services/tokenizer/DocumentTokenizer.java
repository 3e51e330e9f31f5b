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
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code corpus.documents} → {@code corpus.tokens}. A record is a document in one of {@link DocumentShapes}' shapes
 * (binary, JSON or plain text, so any producer can feed the suite), or a part of one ({@link DocumentParts}). Each document is encoded (off the event loop) and
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
    /** Documents arriving in parts, held until their last part. */
    private final DocumentParts<Message<byte[]>> parts;
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("document-parts-timeout").factory());

    DocumentTokenizer(@Channel("tokens") MutinyEmitter<byte[]> tokens, TokenizerConfig config,
                      TokenizerRegistry registry, MeterRegistry meters) {
        this.tokens = tokens;
        this.config = config;
        this.registry = registry;
        this.parts = new DocumentParts<>(config.maxDocumentBytes(), config.maxOpenPartBytes(), config.partTimeout().toNanos());
        this.sweeper.scheduleWithFixedDelay(this::expireParts, 1, 1, TimeUnit.SECONDS);
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
        return Uni.createFrom().item(() -> arrive(message))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onItem().transformToUni(outcome -> switch (outcome) {
                    case DocumentParts.Held<Message<byte[]>> held -> Uni.createFrom().voidItem(); // acknowledged with its document
                    case DocumentParts.Complete<Message<byte[]>> whole -> tokenize(whole.document(), whole.parts());
                    case DocumentParts.Refused<Message<byte[]>> refused -> reject(refused.parts(), new IllegalArgumentException(refused.reason()));
                })
                .onFailure().recoverWithUni(e -> reject(List.of(message), e));
    }

    /** A whole document now, or a part held until its document's last part (DocumentParts). */
    private DocumentParts.Outcome<Message<byte[]>> arrive(Message<byte[]> message) {
        var meta = message.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
        Headers headers = meta == null ? null : meta.getHeaders();
        String key = meta == null || meta.getKey() == null ? null : meta.getKey().toString();
        int partition = meta == null ? -1 : meta.getPartition();
        var place = new DocumentShapes.Place(partition, meta == null ? -1 : meta.getOffset());
        DocumentRecord doc = DocumentShapes.read(key, headers, message.getPayload(), place, config.defaultEncoding());
        Integer part = DocumentParts.partOf(headers);
        if (part == null) return new DocumentParts.Complete<>(doc, List.of(message));
        if (DocumentShapes.shapeOf(DocumentShapes.header(headers, DocumentShapes.CONTENT_TYPE), message.getPayload()) != DocumentShapes.Shape.TEXT) {
            throw new IllegalArgumentException("a document in parts comes as plain-text parts");
        }
        if (doc.documentId().equals(place.documentId())) {
            throw new IllegalArgumentException("a document in parts needs its id, in the key 'dataset/document' or the header "
                    + DocumentShapes.DOCUMENT);
        }
        return parts.offer(message, doc, part, DocumentParts.isLast(headers), partition, System.nanoTime());
    }

    /** Tokenizes a whole document, publishes its chunks, then acknowledges the records it came in. */
    private Uni<Void> tokenize(DocumentRecord doc, List<Message<byte[]>> records) {
        return Uni.createFrom().item(() -> encode(doc))
                .onItem().transformToUni(e -> publish(e).replaceWith(e))
                .onItem().transformToUni(e -> {
                    documentsTokenized.increment();
                    tokensProduced.increment(e.ids.length);
                    bytesTokenized.increment(e.doc.utf8Text().length);
                    return acknowledge(records, Message::ack);
                })
                .onFailure().recoverWithUni(e -> reject(records, e));
    }

    /** The records go to the dead-letter topic with the reason. */
    private Uni<Void> reject(List<Message<byte[]>> records, Throwable why) {
        documentsRejected.increment();
        LOG.warnf("document rejected to the dead-letter topic: %s", why.getMessage());
        return acknowledge(records, m -> m.nack(why));
    }

    private static Uni<Void> acknowledge(List<Message<byte[]>> records, Function<Message<byte[]>, CompletionStage<Void>> how) {
        return Uni.join().all(records.stream().map(m -> Uni.createFrom().completionStage(how.apply(m))).toList())
                .andFailFast().replaceWithVoid();
    }

    /** Every second: documents whose parts stopped coming go to the dead-letter topic. */
    private void expireParts() {
        for (var refused : parts.expire(System.nanoTime())) {
            reject(refused.parts(), new IllegalArgumentException(refused.reason())).subscribe().with(x -> {}, e -> LOG.warn("dead-lettering failed", e));
        }
    }

    /** A rebalance took these partitions: their open documents are read again by their new owner. */
    void forgetParts(Set<Integer> partitions) {
        parts.forget(partitions);
    }

    @PreDestroy
    void stop() {
        sweeper.shutdownNow();
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
