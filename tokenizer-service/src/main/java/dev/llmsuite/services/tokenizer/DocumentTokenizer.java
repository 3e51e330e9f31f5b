package dev.llmsuite.services.tokenizer;

import dev.llmsuite.records.DocumentRecord;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.service.KafkaMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Arrays;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code corpus.documents} → {@code corpus.tokens}. A document is acknowledged only after all its chunks
 * are on Kafka; one that cannot be tokenized is nacked with the reason and lands on the dead-letter topic.
 */
@ApplicationScoped
public class DocumentTokenizer {
    private static final Logger LOG = Logger.getLogger(DocumentTokenizer.class);

    private final MutinyEmitter<byte[]> tokens;
    private final TokenizerConfig config;
    private final Counter documentsTokenized;
    private final Counter documentsRejected;
    private final Counter tokensProduced;

    DocumentTokenizer(@Channel("tokens") MutinyEmitter<byte[]> tokens, TokenizerConfig config, MeterRegistry registry) {
        this.tokens = tokens;
        this.config = config;
        this.documentsTokenized = registry.counter("llm.tokenizer.documents", "outcome", "tokenized");
        this.documentsRejected = registry.counter("llm.tokenizer.documents", "outcome", "dead_letter");
        this.tokensProduced = registry.counter("llm.tokenizer.tokens");
    }

    @Incoming("documents")
    public Uni<Void> onDocument(Message<byte[]> message) {
        DocumentRecord doc;
        int[] ids;
        try {
            doc = DocumentRecord.decode(message.getPayload());
            if (doc.utf8Text().length > config.maxDocumentBytes()) {
                throw new IllegalArgumentException("document is " + doc.utf8Text().length
                        + " bytes; the limit is " + config.maxDocumentBytes());
            }
            Utf8ByteTokenizer.requireValidUtf8(doc.utf8Text());
            ids = withEndOfText(Utf8ByteTokenizer.encode(doc.utf8Text()));
        } catch (RuntimeException e) {
            documentsRejected.increment();
            LOG.warnf("document rejected to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().completionStage(message.nack(e));
        }
        DocumentRecord d = doc;
        int chunk = config.chunkTokens();
        int chunks = Math.max(1, (ids.length + chunk - 1) / chunk);
        return Multi.createFrom().range(0, chunks)
                .onItem().transformToUniAndConcatenate(i -> {
                    int from = i * chunk;
                    int to = Math.min(ids.length, from + chunk);
                    TokenChunk c = new TokenChunk(d.datasetId(), d.documentId(), i, i == chunks - 1,
                            Utf8ByteTokenizer.VOCABULARY_HASH, Arrays.copyOfRange(ids, from, to));
                    return tokens.sendMessage(KafkaMessages.keyed(c.key(), c.encode()));
                })
                .collect().last()
                .onItem().invoke(() -> {
                    documentsTokenized.increment();
                    tokensProduced.increment(ids.length);
                })
                .onItem().transformToUni(x -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> Uni.createFrom().completionStage(message.nack(e)));
    }

    private static int[] withEndOfText(int[] ids) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = Utf8ByteTokenizer.END_OF_TEXT;
        return out;
    }
}
