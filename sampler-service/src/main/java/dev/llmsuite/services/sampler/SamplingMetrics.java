package dev.llmsuite.services.sampler;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** What the sampling step counts ({@code llm_sampler_*} on /q/metrics), beside Kafka Streams' own metrics. */
record SamplingMetrics(Counter chunks, Counter windows, Counter batches, Counter deadLetters, Counter exactDuplicates,
                       Counter nearDuplicates) {

    static SamplingMetrics in(MeterRegistry registry) {
        return new SamplingMetrics(registry.counter("llm.sampler.chunks"), registry.counter("llm.sampler.windows"),
                registry.counter("llm.sampler.batches"), registry.counter("llm.sampler.dead_letter"),
                registry.counter("llm.sampler.duplicates", "kind", "exact"), registry.counter("llm.sampler.duplicates", "kind", "near"));
    }
}
