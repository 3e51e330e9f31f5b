package dev.llmsuite.services.sampler;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** sampler-service settings, under {@code llm.sampler.*}: the sampling used for a dataset without its own spec. */
@ConfigMapping(prefix = "llm.sampler")
public interface SamplerConfig {

    /** Tokens per window (the book's max_length). */
    @WithDefault("256")
    int maxLength();

    /** Tokens between the starts of two windows. */
    @WithDefault("256")
    int stride();

    /** Windows per batch. */
    @WithDefault("8")
    int batchSize();

    /** Every n-th window goes to validation (10 = a 90/10 split). */
    @WithDefault("10")
    int validationEvery();

    @WithDefault("123")
    long seed();
}
