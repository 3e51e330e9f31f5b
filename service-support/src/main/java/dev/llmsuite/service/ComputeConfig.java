package dev.llmsuite.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Map;

/** Where the GPT engine computes, under {@code llm.compute.*} (trainer-service and inference-service). */
@ConfigMapping(prefix = "llm.compute")
public interface ComputeConfig {

    /** auto, cpu or tornado (see docs/operations.md); anything that fails falls back to the CPU. */
    @WithDefault("auto")
    String backend();

    /** The TornadoVM device index. */
    @WithDefault("0")
    int device();

    /** Device memory the TornadoVM backend takes for all tensors, e.g. 3g (GPT-2 124M training needs about 2.2g). */
    @WithDefault("1g")
    String tornadoMemory();

    /** The most token ids (B·T) one TornadoVM launch carries. */
    @WithDefault("65536")
    int tornadoMaxTokens();

    /** The TornadoVM settings as {@code ComputeBackends.select} takes them. */
    default Map<String, String> tornadoSettings() {
        return Map.of("tornado-memory", tornadoMemory(), "tornado-max-tokens", Integer.toString(tornadoMaxTokens()));
    }
}
