package dev.llmsuite.services.tokenizer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** tokenizer-service settings, under {@code llm.tokenizer.*}. */
@ConfigMapping(prefix = "llm.tokenizer")
public interface TokenizerConfig {

    /** The largest document accepted, over HTTP or from Kafka, in UTF-8 bytes. */
    @WithDefault("8388608")
    int maxDocumentBytes();

    /** Token ids per {@code corpus.tokens} record; a longer document becomes several chunks. */
    @WithDefault("8192")
    int chunkTokens();
}
