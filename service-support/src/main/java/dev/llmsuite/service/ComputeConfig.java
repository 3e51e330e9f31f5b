package dev.llmsuite.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Where the GPT engine computes, under {@code llm.compute.*} (trainer-service and inference-service). */
@ConfigMapping(prefix = "llm.compute")
public interface ComputeConfig {

    /** auto, cpu or tornado (see docs/operations.md); anything that fails falls back to the CPU. */
    @WithDefault("auto")
    String backend();

    /** The TornadoVM device index. */
    @WithDefault("0")
    int device();
}
