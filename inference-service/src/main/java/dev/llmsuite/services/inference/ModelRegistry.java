package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.ComputeBackends;
import dev.llmsuite.service.ComputeConfig;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The models being served, by name. A checkpoint announced on {@code model.checkpoints} is verified
 * against its announced hashes, loaded (Hugging Face GPT-2 layout) and swapped in whole; an older step
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

    ModelRegistry(ObjectMapper json, MeterRegistry registry, InferenceConfig config, ComputeConfig compute) {
        this.json = json;
        this.config = config;
        this.backend = ComputeBackends.select(compute.backend(), compute.device(), config.threads(), compute.tornadoSettings(), LOG::info);
        this.loaded = registry.counter("llm.inference.checkpoints", "outcome", "loaded");
        this.rejected = registry.counter("llm.inference.checkpoints", "outcome", "rejected");
    }

    /** Serves llm.inference.model-dir, when set, before any announcement arrives. */
    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) throws IOException {
        if (config.modelDir().isEmpty()) return;
        Path dir = config.modelDir().get().toAbsolutePath().normalize();
        String name = config.modelName().orElse(dir.getFileName().toString());
        var a = new CheckpointAnnouncement("local", name, 0, dir.toString(), Map.of(), Map.of(), System.currentTimeMillis());
        LoadedModel m = load(a);
        LoadedModel previous = models.put(name, m);
        if (previous != null) previous.scheduler().close();
        loaded.increment();
        LOG.infof("serving %s from %s (%s)", name, dir, m.model().config());
    }

    @Incoming("checkpoints")
    @Blocking
    public void onCheckpoint(String announcementJson) {
        try {
            CheckpointAnnouncement a = json.readValue(announcementJson, CheckpointAnnouncement.class);
            LoadedModel current = models.get(a.model());
            if (current != null && current.checkpoint().step() > a.step()) {
                LOG.infof("ignoring %s step %d: serving step %d", a.model(), a.step(), current.checkpoint().step());
                loaded.increment();
                return;
            }
            LoadedModel model = load(a);
            models.merge(a.model(), model, (old, fresh) -> {
                LoadedModel keep = fresh.checkpoint().step() >= old.checkpoint().step() ? fresh : old;
                (keep == fresh ? old : fresh).scheduler().close(); // in-flight requests finish on it
                return keep;
            });
            loaded.increment();
            LOG.infof("serving %s at step %d from %s", a.model(), a.step(), a.path());
        } catch (IOException | RuntimeException e) {
            // A checkpoint we cannot verify is not served; the announcement stays on its topic.
            rejected.increment();
            LOG.warnf("checkpoint not loaded: %s", e.getMessage());
        }
    }

    private LoadedModel load(CheckpointAnnouncement a) throws IOException {
        Path dir = Path.of(a.path());
        for (var e : a.hashes().entrySet()) {
            String actual = CheckpointAnnouncement.sha256(Files.readAllBytes(dir.resolve(e.getKey())));
            if (!actual.equals(e.getValue())) {
                throw new IOException(dir.resolve(e.getKey()) + ": hash " + actual + " differs from announced " + e.getValue());
            }
        }
        GptModel model = HfCheckpoint.load(backend, dir);
        if (config.weights() == InferenceConfig.Weights.INT8) model.quantizeForServing();
        BpeTokenizer tokenizer = null;
        long tokens = 0;
        Path meta = dir.resolve("trainer.json");
        if (Files.exists(meta)) {
            JsonNode m = json.readTree(meta.toFile());
            tokens = m.path("tokens").asLong();
            if (Encodings.gpt2().hash().equals(m.path("vocabularyHash").asText()) && model.config().vocabSize() == 50257) {
                tokenizer = new BpeTokenizer(Encodings.gpt2());
            }
        } else if (model.config().vocabSize() == 50257) {
            // A Hugging Face GPT-2 directory: no trainer.json, GPT-2's vocabulary size.
            tokenizer = new BpeTokenizer(Encodings.gpt2());
        }
        return new LoadedModel(a.model(), a, model, tokenizer, tokens, System.currentTimeMillis(),
                new BatchScheduler(a.model(), model, config.maxBatch()), dev.llmsuite.engine.io.ClassifierFiles.load(model, dir));
    }

    Collection<LoadedModel> all() { return models.values(); }

    Optional<LoadedModel> get(String name) { return Optional.ofNullable(models.get(name)); }

    @PreDestroy
    void close() {
        models.values().forEach(m -> m.scheduler().close());
        backend.close();
    }

}
