package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.chat.ModelTokens;
import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.ComputeBackends;
import dev.llmsuite.engine.generate.BatchDecoder;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.Draft;
import dev.llmsuite.engine.generate.PrefixCache;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.SpeculativeGenerator;
import dev.llmsuite.engine.io.AnnouncedCheckpoints;
import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.ModelPromotion;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * The models being served, by name. For each model three kinds of checkpoint can be loaded: its newest announced on
 * {@code model.checkpoints} (served as {@code NAME@latest}; an older step never replaces a newer one), its promoted
 * one from {@code model.promotions} (served as {@code NAME}; while none is promoted, {@code NAME} is the newest), and
 * steps asked for by name ({@code NAME@step-N}, loaded on first use, at most llm.inference.max-pinned-steps of them).
 * Announcements and promotions are verified alike ({@link AnnouncedCheckpoints}) and swapped in whole; one loaded
 * checkpoint may be served under several names, and its memory goes back when no name serves it any more.
 *
 * <p>Over 250 lines because the three ways of being served share one rule for loading, sharing and letting go of a
 * checkpoint, and adapter views ride on all three.</p>
 */
@ApplicationScoped
public class ModelRegistry {
    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);
    /** Announcements remembered per model for {@code NAME@step-N}. */
    static final int REMEMBERED_STEPS = 64;

    /** Each model's newest checkpoint. */
    private final Map<String, LoadedModel> models = new ConcurrentHashMap<>();
    /** Each model's promoted checkpoint, and the promotion that put it there. */
    private final Map<String, LoadedModel> promoted = new ConcurrentHashMap<>();
    private final Map<String, ModelPromotion> promotions = new ConcurrentHashMap<>();
    /** NAME@step-N → its checkpoint, least recently used first (guarded by this). */
    private final LinkedHashMap<String, LoadedModel> pinned = new LinkedHashMap<>(16, 0.75f, true);
    /** What each model's announced steps were (guarded by this), for NAME@step-N. */
    private final Map<String, TreeMap<Long, CheckpointAnnouncement>> announced = new HashMap<>();
    private final ObjectMapper json;
    private final ComputeBackend backend;
    private final Counter loaded;
    private final Counter rejected;
    /** Prompt tokens whose keys and values came from a prefix cache, and those computed. */
    private final Counter promptRestored, promptComputed;
    private final Counter draftProposed, draftAccepted;
    private final InferenceConfig config;
    private final AnnouncedCheckpoints checkpoints;
    private final AdapterViews adapterViews;

    ModelRegistry(ObjectMapper json, MeterRegistry registry, InferenceConfig config, ComputeConfig compute) {
        this.json = json;
        this.config = config;
        this.checkpoints = new AnnouncedCheckpoints(config.checkpointDir(), "llm.inference.checkpoint-dir");
        this.backend = ComputeBackends.select(compute.backend(), compute.device(), config.threads(), compute.tornadoSettings(), LOG::info);
        this.loaded = registry.counter("llm.inference.checkpoints", "outcome", "loaded");
        this.rejected = registry.counter("llm.inference.checkpoints", "outcome", "rejected");
        this.promptRestored = registry.counter("llm.inference.prompt.tokens", "prefill", "restored");
        this.promptComputed = registry.counter("llm.inference.prompt.tokens", "prefill", "computed");
        this.draftProposed = registry.counter("llm.inference.draft.tokens", "outcome", "proposed");
        this.draftAccepted = registry.counter("llm.inference.draft.tokens", "outcome", "accepted");
        this.adapterViews = new AdapterViews(backend, config, this::prefixCache);
    }

    /** Serves llm.inference.model-dir, when set, before any announcement arrives (the operator's directory: no hashes). */
    void onStart(@Observes StartupEvent event) throws IOException {
        if (config.modelDir().isEmpty()) return;
        Path dir = config.modelDir().get().toAbsolutePath().normalize();
        String name = config.modelName().orElse(dir.getFileName().toString());
        var a = new CheckpointAnnouncement("local", name, 0, dir.getFileName().toString(), Map.of(), Map.of(), System.currentTimeMillis());
        LoadedModel m = load(a, dir);
        synchronized (this) {
            retireIfUnused(models.put(name, m));
        }
        loaded.increment();
        LOG.infof("serving %s from %s (%s weights, context %d)", name, dir, m.decoder().weights().label(), m.decoder().contextLength());
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
        return handle(message, () -> accept(json.readValue(message.getPayload(), CheckpointAnnouncement.class)));
    }

    /**
     * A promotion from model.promotions (read from its start at every boot: the newest per model is the one in
     * force). Verified and loaded exactly as an announcement; refused ones go to model.checkpoints.dlq, and the model
     * keeps what it served.
     */
    @Incoming("promotions")
    @Blocking
    public CompletionStage<Void> onPromotion(Message<String> message) {
        return handle(message, () -> promote(json.readValue(message.getPayload(), ModelPromotion.class)));
    }

    private interface Step {
        void run() throws IOException;
    }

    private CompletionStage<Void> handle(Message<String> message, Step step) {
        try {
            step.run();
            return message.ack();
        } catch (Throwable e) {
            rejected.increment();
            String reason = e instanceof VirtualMachineError ? "loading it failed with " + e : String.valueOf(e.getMessage());
            LOG.warnf("checkpoint not loaded, dead-lettered: %s", reason);
            return message.nack(e instanceof VirtualMachineError ? new IllegalStateException(reason) : e);
        }
    }

    private void accept(CheckpointAnnouncement a) throws IOException {
        requireName(a.model());
        remember(a);
        LoadedModel current = models.get(a.model());
        if (current != null && current.checkpoint().step() > a.step()) {
            LOG.infof("ignoring %s step %d as its newest: serving step %d", a.model(), a.step(), current.checkpoint().step());
            loaded.increment(); // handled: what it announced is served (newer)
            return;
        }
        LoadedModel model = loadOrShare(a);
        synchronized (this) {
            LoadedModel old = models.get(a.model());
            if (old != null && old.checkpoint().step() > model.checkpoint().step()) { // a newer one won the race
                retireIfUnused(model);
                return;
            }
            models.put(a.model(), model);
            retireIfUnused(old); // in-flight requests finish on it
        }
        loaded.increment();
        LOG.infof("serving %s@latest at step %d", a.model(), a.step());
    }

    private void promote(ModelPromotion p) throws IOException {
        requireName(p.model());
        if (p.by() == null) throw new IOException("a promotion must say who decided it ('by')");
        CheckpointAnnouncement a = p.asAnnouncement();
        remember(a);
        LoadedModel model = loadOrShare(a);
        synchronized (this) {
            LoadedModel old = promoted.put(p.model(), model);
            promotions.put(p.model(), p);
            retireIfUnused(old);
        }
        loaded.increment();
        LOG.infof("serving %s at its promoted step %d (%s: %s)", p.model(), p.step(), p.by(), p.reason());
    }

    private static void requireName(String model) throws IOException {
        if (!Names.valid(model)) throw new IOException("model name must be " + Names.RULE + ", got " + Names.quoted(model));
    }

    private synchronized void remember(CheckpointAnnouncement a) {
        TreeMap<Long, CheckpointAnnouncement> steps = announced.computeIfAbsent(a.model(), m -> new TreeMap<>());
        steps.put(a.step(), a);
        while (steps.size() > REMEMBERED_STEPS) steps.pollFirstEntry();
    }

    /** The checkpoint loaded already under another name (same step, same file hashes), or loaded now after verifying it. */
    private LoadedModel loadOrShare(CheckpointAnnouncement a) throws IOException {
        LoadedModel same = loadedAs(a);
        if (same != null) return same;
        AnnouncedCheckpoints.Verified verified = checkpoints.verified(a);
        return load(new CheckpointAnnouncement(a.jobId(), a.model(), a.step(), verified.shown(), a.hashes(), a.metrics(),
                a.createdAtMillis()), verified.dir());
    }

    private synchronized LoadedModel loadedAs(CheckpointAnnouncement a) {
        List<LoadedModel> candidates = new ArrayList<>(pinned.values());
        candidates.add(models.get(a.model()));
        candidates.add(promoted.get(a.model()));
        for (LoadedModel m : candidates) {
            if (m != null && a.hashes() != null && !a.hashes().isEmpty() && m.name().equals(a.model())
                    && m.checkpoint().step() == a.step() && a.hashes().equals(m.checkpoint().hashes())) {
                return m;
            }
        }
        return null;
    }

    /** Loads a checkpoint directory; {@code a} is what /v1/models shows of it (its path relative to the checkpoint root). */
    private LoadedModel load(CheckpointAnnouncement a, Path dir) throws IOException {
        if (LlamaCheckpoint.isOne(dir)) return loadLlama(a, dir);
        GptModel model = HfCheckpoint.load(backend, dir);
        Decoder decoder = Decoder.of(model, ServingWeights.valueOf(config.weights().name()));
        decoder.usePrefixCache(prefixCache(decoder));
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
        SharedWeights weights = new SharedWeights(() -> {
            decoder.close(); // its 8-bit copies, which the views read too
            model.close();
        });
        return new LoadedModel(a.model(), a, decoder, tokenizer == null ? null : new PromptFormat.Gpt2Prompts(tokenizer), tokens,
                System.currentTimeMillis(), new BatchScheduler<>(a.model(), decoder, config.maxBatch(), config.kvCachePoolBytes(),
                speculation(a.model(), decoder), weights::leave), ClassifierFiles.load(model, dir), weights);
    }

    /**
     * A Llama 3 / Qwen3 directory (config.json's model_type llama or qwen3) with its own tokens ({@link ModelTokens}),
     * decoded on llm.inference.weights with a prefix cache and adapter views, as GPT-2's are. Not yet for these models:
     * a draft, a classifier (docs/api.md).
     */
    private LoadedModel loadLlama(CheckpointAnnouncement a, Path dir) throws IOException {
        ModelTokens tokens = ModelTokens.fromDirectory(dir);
        LlamaModel model = LlamaCheckpoint.load(backend, dir);
        try {
            tokens.requireRows(model.config().vocabSize());
            model.serve(ServingWeights.valueOf(config.weights().name()));
            model.usePrefixCache(prefixCache(model));
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
        String draft = config.drafts().get(a.model());
        if (draft != null && !draft.isBlank() && !draft.equals("none")) {
            LOG.warnf("serving %s without its draft '%s': drafts serve GPT-2 models so far", a.model(), draft);
        }
        SharedWeights weights = new SharedWeights(model::close);
        return new LoadedModel(a.model(), a, model, new PromptFormat.ModelPrompts(tokens), 0, System.currentTimeMillis(),
                new BatchScheduler<>(a.model(), model, config.maxBatch(), config.kvCachePoolBytes(), null, weights::leave), null, weights);
    }

    /**
     * The draft llm.inference.drafts names for a model, or null: none named, or one that cannot serve (the model's
     * weights are not fp32 or fp32_panels, the draft's vocabulary differs, its directory does not load), said in the log.
     */
    private Speculation speculation(String name, Decoder target) {
        String spec = config.drafts().get(name);
        if (spec == null || spec.isBlank() || spec.equals("none")) return null;
        Draft draft = null;
        try {
            draft = Draft.open(backend, target.model(), spec);
            SpeculativeGenerator generator = new SpeculativeGenerator(target, draft.decoder(), config.lookahead());
            LOG.infof("serving %s with draft %s, %d tokens a round", name, draft.label(), config.lookahead());
            return new Speculation(generator, draft, config.lookahead(), (proposed, accepted) -> {
                draftProposed.increment(proposed);
                draftAccepted.increment(accepted);
            });
        } catch (IOException | RuntimeException e) {
            if (draft != null) draft.close();
            LOG.warnf("serving %s without its draft '%s': %s", name, spec, e.getMessage());
            return null;
        }
    }

    /** A prefix cache of llm.inference.prefix-cache-mb for a decoder (null: turned off with 0). */
    private PrefixCache prefixCache(BatchDecoder<?> decoder) {
        int mb = config.prefixCacheMb();
        if (mb <= 0) return null;
        return decoder.newPrefixCache(mb, (restored, computed) -> {
            promptRestored.increment(restored);
            promptComputed.increment(computed);
        });
    }

    /** A name a request can use, what it serves, and the model's promotion (null: none, so NAME is its newest). */
    record Served(String id, LoadedModel model, ModelPromotion promotion, Long latestStep) {}

    /** Every name served now: each model as NAME and NAME@latest, the pinned steps, and the adapter views in use. */
    synchronized List<Served> all() {
        List<Served> all = new ArrayList<>();
        Set<String> names = new TreeSet<>(models.keySet());
        names.addAll(promoted.keySet());
        for (String name : names) {
            all.add(served(new ServedName(name, ServedName.Tag.PROMOTED, -1), current(name)));
            if (models.containsKey(name)) all.add(served(new ServedName(name, ServedName.Tag.LATEST, -1), models.get(name)));
        }
        pinned.forEach((id, m) -> all.add(served(ServedName.parse(id), m)));
        adapted.values().stream().filter(a -> inUse(a.base())).forEach(a -> all.add(served(new ServedName(a.view().name(),
                ServedName.Tag.PROMOTED, -1), a.view())));
        return all;
    }

    /** What {@code GET /v1/models/{id}} shows: the checkpoint the name serves now. */
    Optional<Served> served(String id) {
        return get(id).map(m -> served(id.contains("+") ? new ServedName(id, ServedName.Tag.PROMOTED, -1) : ServedName.parse(id), m));
    }

    private Served served(ServedName name, LoadedModel m) {
        String base = name.model().split("[+@]", 2)[0];
        LoadedModel latest = models.get(base);
        return new Served(name.id(), m, promotions.get(base), latest == null ? null : latest.checkpoint().step());
    }

    /** NAME: the promoted checkpoint, or the newest while none is promoted. */
    private LoadedModel current(String name) {
        LoadedModel p = promoted.get(name);
        return p != null ? p : models.get(name);
    }

    /**
     * A loaded model by name ({@link ServedName}); {@code NAME+ADAPTER} is NAME with LoRA adapter ADAPTER from
     * llm.inference.adapter-dir, sharing NAME's weights (several adapters on one loaded base). The view
     * is built on first use and again when NAME's checkpoint is replaced; an adapter made for other base weights is
     * refused (409). {@code NAME@step-N} is loaded on first use when step N was announced and is still on disk.
     */
    Optional<LoadedModel> get(String name) {
        int plus = name.indexOf('+');
        if (plus < 0) return resolve(ServedName.parse(name));
        LoadedModel base = resolve(ServedName.parse(name.substring(0, plus))).orElse(null);
        if (base == null) return Optional.empty();
        String adapter = name.substring(plus + 1);
        if (!Names.valid(adapter)) throw ProblemException.badRequest("adapter name must be " + Names.RULE + ", got " + Names.quoted(adapter));
        return Optional.of(adapted.compute(name, (key, current) -> {
            if (current != null && current.base() == base) return current;
            if (current != null) current.view().scheduler().close(); // its base was replaced: drains, then lets go
            return new AdaptedModel(base, adapterViews.build(base, name, adapter));
        }).view());
    }

    private Optional<LoadedModel> resolve(ServedName name) {
        return switch (name.tag()) {
            case PROMOTED -> Optional.ofNullable(current(name.model()));
            case LATEST -> Optional.ofNullable(models.get(name.model()));
            case STEP -> Optional.of(pinnedStep(name));
        };
    }

    /** NAME@step-N: the checkpoint loaded already under another name, else loaded now (the least recently used goes). */
    private synchronized LoadedModel pinnedStep(ServedName name) {
        LoadedModel m = pinned.get(name.id());
        if (m != null) return m;
        TreeMap<Long, CheckpointAnnouncement> steps = announced.get(name.model());
        CheckpointAnnouncement a = steps == null ? null : steps.get(name.step());
        if (a == null) {
            throw ProblemException.notFound("model '" + name.model() + "' has no announced step " + name.step()
                    + (steps == null ? "" : " (known: " + steps.keySet() + ")"));
        }
        try {
            m = loadOrShare(a);
        } catch (IOException e) {
            throw ProblemException.notFound("step " + name.step() + " of '" + name.model() + "' cannot be loaded: " + e.getMessage());
        }
        pinned.put(name.id(), m);
        if (pinned.size() > Math.max(0, config.maxPinnedSteps())) {
            Iterator<Map.Entry<String, LoadedModel>> eldest = pinned.entrySet().iterator();
            LoadedModel evicted = eldest.next().getValue();
            eldest.remove();
            retireIfUnused(evicted);
        }
        loaded.increment();
        LOG.infof("serving %s", name.id());
        return m;
    }

    /** Whether any name still serves this checkpoint. */
    private synchronized boolean inUse(LoadedModel m) {
        return models.containsValue(m) || promoted.containsValue(m) || pinned.containsValue(m);
    }

    /**
     * Stops a checkpoint no name serves any more, and its adapter views; each finishes what it is decoding, then
     * frees its memory.
     */
    private synchronized void retireIfUnused(LoadedModel old) {
        if (old == null || inUse(old)) return;
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

    @PreDestroy
    synchronized void close() {
        Set<LoadedModel> all = Collections.newSetFromMap(new IdentityHashMap<>());
        all.addAll(models.values());
        all.addAll(promoted.values());
        all.addAll(pinned.values());
        all.forEach(m -> m.scheduler().close());
        adapted.values().forEach(a -> a.view().scheduler().close());
        backend.close();
    }

}
