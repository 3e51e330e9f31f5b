package dev.llmsuite.services.inference;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.generate.BatchDecoder;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.PrefixCache;
import dev.llmsuite.engine.io.AdapterFiles;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.llama.LlamaLora;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.service.ProblemException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * {@code BASE+ADAPTER}: a loaded model's weights with a LoRA adapter from llm.inference.adapter-dir, unmerged, in a
 * model of its own that shares the base's weights and decode copies (one copy in memory however many adapters are
 * served), with its own scheduler and prefix cache (an adapter changes keys and values). GPT-2 bases take this suite's
 * adapter files (checked against the base's weights by hash); Llama 3 / Qwen3 bases take PEFT's files, checked by shape
 * (PEFT records no hash of the base). The base's weights stay until the last view on them has drained.
 */
final class AdapterViews {
    private static final Logger LOG = Logger.getLogger(AdapterViews.class);
    private final ComputeBackend backend;
    private final InferenceConfig config;
    private final Function<BatchDecoder<?>, PrefixCache> prefixCaches;

    AdapterViews(ComputeBackend backend, InferenceConfig config, Function<BatchDecoder<?>, PrefixCache> prefixCaches) {
        this.backend = backend;
        this.config = config;
        this.prefixCaches = prefixCaches;
    }

    /** The view named name: 404 without such an adapter, 409 when it does not fit the base, 503 while the base is being replaced. */
    LoadedModel build(LoadedModel base, String name, String adapter) {
        Path dir = config.adapterDir().resolve(adapter).normalize();
        if (!Files.isRegularFile(dir.resolve(AdapterFiles.FILE))) {
            throw ProblemException.notFound("no adapter '" + adapter + "' in llm.inference.adapter-dir");
        }
        try {
            base.weights().join();
        } catch (IllegalStateException e) {
            throw new ProblemException(503, "model '" + base.name() + "' is being replaced; retry");
        }
        View view;
        try {
            view = switch (base.decoder()) {
                case Decoder d -> gpt(d, dir);
                case LlamaModel l -> llama(l, dir);
                default -> throw new IllegalStateException("no adapters for " + base.decoder().getClass().getSimpleName());
            };
        } catch (IOException | RuntimeException e) {
            base.weights().leave();
            throw new ProblemException(409, "adapter '" + adapter + "' does not fit model '" + base.name() + "': "
                    + String.valueOf(e.getMessage()).replace(dir.toString(), adapter));
        }
        LOG.infof("serving %s: %s with adapter %s", name, base.name(), dir);
        view.decoder().usePrefixCache(prefixCaches.apply(view.decoder()));
        return new LoadedModel(name, base.checkpoint(), view.decoder(), base.prompts(), base.tokensSeen(), System.currentTimeMillis(),
                new BatchScheduler<>(name, view.decoder(), config.maxBatch(), config.kvCachePoolBytes(), null, () -> {
                    view.release().run();
                    base.weights().leave();
                }), null, base.weights());
    }

    /** A view's decoder and what gives its own memory back (never the base's weights). */
    private record View(BatchDecoder<?> decoder, Runnable release) {}

    private static View gpt(Decoder base, Path dir) throws IOException {
        GptModel model = base.model().sharingWeights();
        try {
            model.attach(AdapterFiles.load(base.model(), dir));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        Decoder decoder = base.sharedWith(model);
        return new View(decoder, () -> {
            decoder.close();
            model.close();
        });
    }

    private View llama(LlamaModel base, Path dir) throws IOException {
        LlamaModel model = base.sharingWeights();
        try {
            model.attach(LlamaLora.load(backend, base.config(), dir));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        return new View(model, model::close);
    }
}
