package dev.llmsuite.service;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How every service treats its Kafka connection, under {@code llm.kafka.*}. */
@ConfigMapping(prefix = "llm.kafka")
public interface SuiteConfig {

    /** Stop at startup, with one clear line, when the broker does not answer. */
    @WithDefault("true")
    boolean checkOnStart();

    @WithDefault("30s")
    Duration startTimeout();
}
