package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.CheckpointAnnouncement;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The models being served, by name. A checkpoint announced on {@code model.checkpoints} is verified
 * against its announced hashes and swapped in whole; an older step never replaces a newer one.
 */
@ApplicationScoped
public class ModelRegistry {
    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);

    private final Map<String, LoadedModel> models = new ConcurrentHashMap<>();
    private final ObjectMapper json;
    private final Counter loaded;
    private final Counter rejected;

    ModelRegistry(ObjectMapper json, MeterRegistry registry) {
        this.json = json;
        this.loaded = registry.counter("llm.inference.checkpoints", "outcome", "loaded");
        this.rejected = registry.counter("llm.inference.checkpoints", "outcome", "rejected");
    }

    @Incoming("checkpoints")
    public void onCheckpoint(String announcementJson) {
        try {
            CheckpointAnnouncement a = json.readValue(announcementJson, CheckpointAnnouncement.class);
            LoadedModel model = load(a);
            models.merge(a.model(), model,
                    (old, fresh) -> fresh.checkpoint().step() >= old.checkpoint().step() ? fresh : old);
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
            byte[] bytes = Files.readAllBytes(dir.resolve(e.getKey()));
            String actual = sha256(bytes);
            if (!actual.equals(e.getValue())) {
                throw new IOException(dir.resolve(e.getKey()) + ": hash " + actual + " differs from announced " + e.getValue());
            }
        }
        JsonNode unigram = json.readTree(dir.resolve("unigram.json").toFile());
        return new LoadedModel(a.model(), a, unigram.path("tokens").asLong(), System.currentTimeMillis());
    }

    Collection<LoadedModel> all() { return models.values(); }

    Optional<LoadedModel> get(String name) { return Optional.ofNullable(models.get(name)); }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
