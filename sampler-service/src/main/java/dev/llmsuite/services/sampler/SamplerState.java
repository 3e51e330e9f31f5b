package dev.llmsuite.services.sampler;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.Map;

/**
 * What sampler-service keeps of one dataset on the compacted topic {@code sampler.state} (key: the
 * dataset), so that a restarted sampler goes on where it stopped instead of starting the dataset again
 * with the defaults: the resolved spec; once tokens arrived, where the dataset's chunks lie on
 * {@code corpus.tokens} (partition → [first, last] offset), the epoch, and how many batches of each split
 * that epoch has sent; once done, its final status (GET keeps answering).
 */
@RegisterForReflection // read and written by Jackson, also in a native image
public record SamplerState(String dataset, SamplingSpec spec, Map<Integer, long[]> ranges, int epoch, boolean done,
                           long trainBatchesSent, long validationBatchesSent, Map<String, Object> status) {

    /** A posted spec whose tokens have not arrived yet. */
    static SamplerState posted(String dataset, SamplingSpec spec) {
        return new SamplerState(dataset, spec, Map.of(), 0, false, 0, 0, null);
    }
}
