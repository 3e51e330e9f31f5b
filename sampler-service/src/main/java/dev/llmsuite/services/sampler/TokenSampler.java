package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.service.KafkaMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * {@code corpus.tokens} → {@code train.batches} / {@code val.batches}. Windows fill batches of B; a
 * document's last chunk flushes what is pending so no window waits for a document that may never come.
 */
@ApplicationScoped
public class TokenSampler {
    private static final Logger LOG = Logger.getLogger(TokenSampler.class);

    private final MutinyEmitter<byte[]> trainBatches;
    private final MutinyEmitter<byte[]> valBatches;
    private final SamplerConfig config;
    private final Map<String, DatasetState> datasets = new ConcurrentHashMap<>();
    private final Counter chunks;
    private final Counter windows;
    private final Counter batches;
    private final Counter rejected;

    TokenSampler(@Channel("train-batches") MutinyEmitter<byte[]> trainBatches,
                 @Channel("val-batches") MutinyEmitter<byte[]> valBatches,
                 SamplerConfig config, MeterRegistry registry) {
        this.trainBatches = trainBatches;
        this.valBatches = valBatches;
        this.config = config;
        this.chunks = registry.counter("llm.sampler.chunks");
        this.windows = registry.counter("llm.sampler.windows");
        this.batches = registry.counter("llm.sampler.batches");
        this.rejected = registry.counter("llm.sampler.dead_letter");
    }

    /** One dataset's stream: its windows and the batch of each split being filled. */
    private final class DatasetState {
        final String vocabularyHash;
        final WindowStream stream = new WindowStream(config.maxLength(), config.stride());
        final Map<Split, List<WindowStream.Window>> pending = new EnumMap<>(Split.class);
        final Map<Split, Long> batchIndex = new EnumMap<>(Split.class);

        DatasetState(String vocabularyHash) {
            this.vocabularyHash = vocabularyHash;
            for (Split s : Split.values()) {
                pending.put(s, new ArrayList<>());
                batchIndex.put(s, 0L);
            }
        }
    }

    @Incoming("tokens")
    public Uni<Void> onChunk(Message<byte[]> message) {
        List<TrainingBatch> ready;
        try {
            TokenChunk chunk = TokenChunk.decode(message.getPayload());
            ready = sample(chunk);
        } catch (RuntimeException e) {
            rejected.increment();
            LOG.warnf("token chunk rejected to the dead-letter topic: %s", e.getMessage());
            return Uni.createFrom().completionStage(message.nack(e));
        }
        chunks.increment();
        return Multi.createFrom().iterable(ready)
                .onItem().transformToUniAndConcatenate(b -> {
                    MutinyEmitter<byte[]> out = b.split() == Split.TRAIN ? trainBatches : valBatches;
                    return out.sendMessage(KafkaMessages.keyed(b.key(), b.encode()))
                            .invoke(() -> batches.increment());
                })
                .collect().last()
                .onItem().transformToUni(x -> Uni.createFrom().completionStage(message.ack()))
                .onFailure().recoverWithUni(e -> Uni.createFrom().completionStage(message.nack(e)));
    }

    private synchronized List<TrainingBatch> sample(TokenChunk chunk) {
        DatasetState state = datasets.computeIfAbsent(chunk.datasetId(), id -> new DatasetState(chunk.vocabularyHash()));
        if (!state.vocabularyHash.equals(chunk.vocabularyHash())) {
            throw new IllegalArgumentException("vocabulary hash " + chunk.vocabularyHash() + " does not match dataset "
                    + chunk.datasetId() + " (" + state.vocabularyHash + ")");
        }
        List<TrainingBatch> ready = new ArrayList<>();
        for (WindowStream.Window w : state.stream.append(chunk.ids())) {
            windows.increment();
            Split split = (w.index() % config.validationEvery()) == config.validationEvery() - 1
                    ? Split.VALIDATION : Split.TRAIN;
            List<WindowStream.Window> batch = state.pending.get(split);
            batch.add(w);
            if (batch.size() == config.batchSize()) ready.add(toBatch(chunk.datasetId(), state, split));
        }
        if (chunk.last()) {
            for (Split s : Split.values()) if (!state.pending.get(s).isEmpty()) ready.add(toBatch(chunk.datasetId(), state, s));
        }
        return ready;
    }

    private TrainingBatch toBatch(String dataset, DatasetState state, Split split) {
        List<WindowStream.Window> ws = state.pending.get(split);
        int b = ws.size();
        int t = config.maxLength();
        int[] inputs = new int[b * t];
        int[] targets = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(ws.get(i).input(), 0, inputs, i * t, t);
            System.arraycopy(ws.get(i).target(), 0, targets, i * t, t);
        }
        long index = state.batchIndex.merge(split, 1L, Long::sum) - 1;
        ws.clear();
        return new TrainingBatch(dataset, split, 0, index, state.vocabularyHash, config.seed(), b, t, inputs, targets);
    }
}
