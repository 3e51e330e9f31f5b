package dev.llmsuite.services.tokenizer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** tokenizer-service settings, under {@code llm.tokenizer.*}. Every limit is checked at the edge. */
@ConfigMapping(prefix = "llm.tokenizer")
public interface TokenizerConfig {

    /** The largest document accepted, over HTTP or from Kafka, in UTF-8 bytes. */
    @WithDefault("8388608")
    int maxDocumentBytes();

    /** All documents arriving in parts on {@code corpus.documents} together, held until their last part, in bytes. */
    @WithDefault("67108864")
    long maxOpenPartBytes();

    /** How long a document in parts waits for its next part before its parts are dead-lettered. */
    @WithDefault("2m")
    Duration partTimeout();

    /** Token ids per {@code corpus.tokens} record; a longer document becomes several chunks. */
    @WithDefault("8192")
    int chunkTokens();

    /** The encoding used when a request or document names none. */
    @WithDefault("gpt2")
    String defaultEncoding();

    /** Largest text for one {@code /v1/tokenize} call, in chars. */
    @WithDefault("1000000")
    int maxTextChars();

    /** Most items in one batch call. */
    @WithDefault("256")
    int maxBatchItems();

    /** Most ids in one {@code /v1/detokenize} call (per item in a batch). */
    @WithDefault("1000000")
    int maxIds();

    /** Where trained vocabularies are kept (NAME.tiktoken); loaded at startup. Unset: not kept. */
    Optional<Path> vocabularyDir();

    Training training();

    interface Training {
        /** Largest corpus accepted for BPE training, in bytes. */
        @WithDefault("16777216")
        int maxCorpusBytes();

        @WithDefault("100000")
        int maxVocabSize();

        /**
         * Training jobs queued or running at once, each holding its corpus (up to max-corpus-bytes as a string)
         * until it runs; one more is refused with 429.
         */
        @WithDefault("4")
        int maxJobs();

        /** Trained vocabularies this service holds (each is in memory for as long as it runs); one more: 409. */
        @WithDefault("16")
        int maxVocabularies();
    }
}
