package dev.llmsuite.services.tokenizer;

import dev.llmsuite.service.ProblemException;
import dev.llmsuite.records.Names;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import dev.llmsuite.tokenizer.Vocabulary;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import org.jboss.logging.Logger;

/** The vocabularies this service encodes with, by name: GPT-2 built in, trained ones from disk. */
@ApplicationScoped
public class TokenizerRegistry {
    private static final Logger LOG = Logger.getLogger(TokenizerRegistry.class);

    private final Map<String, BpeTokenizer> tokenizers = new ConcurrentSkipListMap<>();
    private final TokenizerConfig config;

    TokenizerRegistry(TokenizerConfig config) {
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) throws IOException {
        add(Encodings.gpt2());
        Optional<Path> dir = config.vocabularyDir();
        if (dir.isPresent() && Files.isDirectory(dir.get())) {
            try (var files = Files.list(dir.get())) {
                for (Path f : files.filter(p -> p.toString().endsWith(".tiktoken")).sorted().toList()) {
                    String name = f.getFileName().toString().replace(".tiktoken", "");
                    try {
                        if (!Names.valid(name)) throw new IllegalArgumentException("its name is not " + Names.RULE);
                        add(Encodings.loadTiktoken(name, f));
                        LOG.infof("loaded vocabulary %s from %s", name, f);
                    } catch (IOException | RuntimeException e) { // one bad file costs its vocabulary, not the service
                        LOG.errorf("vocabulary file %s is not loaded: %s", f, e.getMessage());
                    }
                }
            }
        }
    }

    void add(Vocabulary v) {
        tokenizers.put(v.name(), new BpeTokenizer(v));
    }

    /** Vocabularies besides the built-in GPT-2 one: trained here or loaded from the vocabulary directory. */
    int trainedCount() {
        return tokenizers.size() - 1;
    }

    boolean contains(String name) {
        return tokenizers.containsKey(name);
    }

    Optional<BpeTokenizer> find(String name) {
        return Optional.ofNullable(tokenizers.get(name));
    }

    /** The named tokenizer, or a 400 that lists the ones there are. */
    BpeTokenizer require(String name) {
        BpeTokenizer t = tokenizers.get(name == null ? config.defaultEncoding() : name);
        if (t == null) {
            throw ProblemException.badRequest("unknown encoding '" + name + "'; known: " + tokenizers.keySet());
        }
        return t;
    }

    Collection<BpeTokenizer> all() {
        return tokenizers.values();
    }
}
