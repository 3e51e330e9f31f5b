package dev.llmsuite.services.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** inference-service settings, under {@code llm.inference.*}. */
@ConfigMapping(prefix = "llm.inference")
public interface InferenceConfig {

    /** The most tokens one request may ask for. */
    @WithDefault("1024")
    int maxTokensCap();

    /** Largest prompt accepted, in chars (the token limit is the model's context). */
    @WithDefault("200000")
    int maxPromptChars();

    /** Threads for the GPT engine (0 = all cores). */
    @WithDefault("0")
    int threads();
}
