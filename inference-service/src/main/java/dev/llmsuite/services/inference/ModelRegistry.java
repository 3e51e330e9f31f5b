package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.ComputeBackends;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.io.AdapterFiles;
import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.Names;
import dev.llmsuite.service.ComputeConfig;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The models being served, by name. A checkpoint announced on {@code model.checkpoints} is verified
 * ({@link AnnouncedCheckpoints}), loaded (Hugging Face GPT-2 layout) and swapped in whole; an older step
 * never replaces a newer one.
 */
@ApplicationScoped
public class ModelRegistry {
    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);

    private final Map<String, LoadedModel> models = new ConcurrentHashMap<>();
    private final ObjectMapper json;
    private final ComputeBackend backend;
    private final Counter loaded;
    private final Counter rejected;
    private final InferenceConfig config;
    private final AnnouncedCheckpoints checkpoints;

    ModelRegistry(ObjectMapper json, MeterRegistry registry, InferenceConfig config, ComputeConfig compute) {
        this.json = json;
        this.config = config;
        this.checkpoints = new AnnouncedCheckpoints(config.checkpointDir());
        this.backend = ComputeBackends.select(compute.backend(), compute.device(), config.threads(), compute.tornadoSettings(), LOG::info);
        this.loaded = registry.counter("llm.inference.checkpoints", "outcome", "loaded");
        this.rejected = registry.counter("llm.inference.checkpoints", "outcome", "rejected");
    }

    /** Serves llm.inference.model-dir, when set, before any announcement arrives (the operator's directory: no hashes). */
    void onStart(@Observes StartupEvent event) throws IOException {
        if (config.modelDir().isEmpty()) return;
        Path dir = config.modelDir().get().toAbsolutePath().normalize();
        String name = config.modelName().orElse(dir.getFileName().toString());
        var a = new CheckpointAnnouncement("local", name, 0, dir.getFileName().toString(), Map.of(), Map.of(), System.currentTimeMillis());
        LoadedModel m = load(a, dir);
        LoadedModel previous = models.put(name, m);
        if (previous != null) retire(previous);
        loaded.increment();
        LOG.infof("serving %s from %s (%s)", name, dir, m.model().config());
    }

    /**
     * An announcement from model.checkpoints. Anyone who can write to the topic can send one, so nothing in it
     * is trusted: a checkpoint is loaded only from under llm.inference.checkpoint-dir, only if every file it
     * reads has its announced hash, and only after config.json agrees with the weights' shapes. Whatever goes
     * wrong, Errors included (an OutOfMemoryError while loading), the announcement goes to model.checkpoints.dlq
     * with its reason and the models already served stay as they were.
     */
    @Incoming("checkpoints")
    @Blocking
    public CompletionStage<Void> onCheckpoint(Message<String> message) {
        try {
            accept(json.readValue(message.getPayload(), CheckpointAnnouncement.class));
            return message.ack();
        } catch (Throwable e) {
            rejected.increment();
            String reason = e instanceof VirtualMachineError ? "loading it failed with " + e : String.valueOf(e.getMessage());
            LOG.warnf("checkpoint not loaded, dead-lettered: %s", reason);
            return message.nack(e instanceof VirtualMachineError ? new IllegalStateException(reason) : e);
        }
    }

    private void accept(CheckpointAnnouncement a) throws IOException {
        if (!Names.valid(a.model())) throw new IOException("model name must be " + Names.RULE + ", got " + Names.quoted(a.model()));
        LoadedModel current = models.get(a.model());
        if (current != null && current.checkpoint().step() > a.step()) {
            LOG.infof("ignoring %s step %d: serving step %d", a.model(), a.step(), current.checkpoint().step());
            loaded.increment(); // handled: what it announced is served (newer)
            return;
        }
        AnnouncedCheckpoints.Verified verified = checkpoints.verified(a);
        Path dir = verified.dir();
        LoadedModel model = load(new CheckpointAnnouncement(a.jobId(), a.model(), a.step(), verified.shown(), a.hashes(),
                a.metrics(), a.createdAtMillis()), dir);
        models.merge(a.model(), model, (old, fresh) -> {
            LoadedModel keep = fresh.checkpoint().step() >= old.checkpoint().step() ? fresh : old;
            retire(keep == fresh ? old : fresh); // in-flight requests finish on it
            return keep;
        });
        loaded.increment();
        LOG.infof("serving %s at step %d from %s", a.model(), a.step(), dir);
    }

    /** Loads a checkpoint directory; {@code a} is what /v1/models shows of it (its path relative to the checkpoint root). */
    private LoadedModel load(CheckpointAnnouncement a, Path dir) throws IOException {
        GptModel model = HfCheckpoint.load(backend, dir);
        Decoder decoder = config.weights() == InferenceConfig.Weights.INT8 ? Decoder.int8(model) : Decoder.fp32(model);
        BpeTokenizer tokenizer = null;
        long tokens = 0;
        Path meta = dir.resolve("trainer.json");
        if (Files.exists(meta)) {
            JsonNode m = json.readTree(meta.toFile());
            tokens = m.path("tokens").asLong();
            if (Encodings.gpt2().hash().equals(m.path("vocabularyHash").asText()) && model.config().vocabSize() == Gpt2.VOCABULARY_SIZE) {
                tokenizer = new BpeTokenizer(Encodings.gpt2());
            }
        } else if (model.config().vocabSize() == Gpt2.VOCABULARY_SIZE) {
            // A Hugging Face GPT-2 directory: no trainer.json, GPT-2's vocabulary size.
            tokenizer = new BpeTokenizer(Encodings.gpt2());
        }
        SharedWeights weights = new SharedWeights(decoder);
        return new LoadedModel(a.model(), a, decoder, tokenizer, tokens, System.currentTimeMillis(),
                new BatchScheduler(a.model(), decoder, config.maxBatch(), weights::leave),
                ClassifierFiles.load(model, dir), weights);
    }

    /** The loaded models and the adapted views in use. */
    Collection<LoadedModel> all() {
        List<LoadedModel> all = new ArrayList<>(models.values());
        adapted.values().stream().filter(a -> models.get(a.base().name()) == a.base()).forEach(a -> all.add(a.view()));
        return all;
    }

    /**
     * A loaded model by name; {@code BASE+ADAPTER} is BASE with LoRA adapter ADAPTER from
     * llm.inference.adapter-dir, sharing BASE's weights (several adapters on one loaded base). The view
     * is built on first use and again when BASE is replaced; an adapter made for other base weights is
     * refused (409).
     */
    Optional<LoadedModel> get(String name) {
        int plus = name.indexOf('+');
        if (plus < 0) return Optional.ofNullable(models.get(name));
        LoadedModel base = models.get(name.substring(0, plus));
        if (base == null) return Optional.empty();
        String adapter = name.substring(plus + 1);
        if (!Names.valid(adapter)) throw ProblemException.badRequest("adapter name must be " + Names.RULE + ", got " + Names.quoted(adapter));
        return Optional.of(adapted.compute(name, (key, current) -> {
            if (current != null && current.base() == base) return current;
            if (current != null) current.view().scheduler().close(); // its base was replaced: drains, then lets go
            return new AdaptedModel(base, withAdapter(base, name, adapter));
        }).view());
    }

    /** Stops a replaced model and its adapter views; each finishes what it is decoding, then frees its memory. */
    private void retire(LoadedModel old) {
        old.scheduler().close();
        adapted.entrySet().removeIf(e -> {
            if (e.getValue().base() != old) return false;
            e.getValue().view().scheduler().close();
            return true;
        });
    }

    /** A served view: BASE's weights with an adapter, for as long as that BASE is the loaded one. */
    private record AdaptedModel(LoadedModel base, LoadedModel view) {}

    private final Map<String, AdaptedModel> adapted = new ConcurrentHashMap<>();

    private LoadedModel withAdapter(LoadedModel base, String name, String adapter) {
        Path dir = config.adapterDir().resolve(adapter).normalize();
        if (!Files.isRegularFile(dir.resolve(AdapterFiles.FILE))) {
            throw ProblemException.notFound("no adapter '" + adapter + "' in llm.inference.adapter-dir");
        }
        try {
            base.weights().join();
        } catch (IllegalStateException e) {
            throw new ProblemException(503, "model '" + base.name() + "' is being replaced; retry");
        }
        GptModel view = base.model().sharingWeights();
        try {
            view.attach(AdapterFiles.load(base.model(), dir));
        } catch (IOException | RuntimeException e) {
            view.close();
            base.weights().leave();
            throw new ProblemException(409, "adapter '" + adapter + "' does not fit model '" + base.name() + "': " + String.valueOf(e.getMessage()).replace(dir.toString(), adapter));
        }
        LOG.infof("serving %s: %s with adapter %s", name, base.name(), dir);
        Decoder viewDecoder = base.decoder().sharedWith(view);
        return new LoadedModel(name, base.checkpoint(), viewDecoder, base.tokenizer(), base.tokensSeen(), System.currentTimeMillis(),
                new BatchScheduler(name, viewDecoder, config.maxBatch(), () -> {
                    viewDecoder.close();
                    view.close();
                    base.weights().leave();
                }), null, base.weights());
    }

    @PreDestroy
    void close() {
        models.values().forEach(m -> m.scheduler().close());
        adapted.values().forEach(a -> a.view().scheduler().close());
        backend.close();
    }

}
