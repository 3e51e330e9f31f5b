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
                           long trainBatchesSent, long validationBatchesSent, SamplingStatus status) {

    /**
     * A state read back from the topic, which anyone who can write to it may have written: it must be this key's,
     * with a spec in range and within the budget, and chunk ranges that are ranges. IllegalArgumentException says
     * what is wrong; that dataset then fails, the sampler goes on.
     */
    void check(String key, long maxDatasetBytes) {
        if (!key.equals(dataset)) throw new IllegalArgumentException("a state for dataset " + dataset + " under key " + key);
        if (spec == null) throw new IllegalArgumentException("a state without its spec");
        if (!done) spec.check(maxDatasetBytes); // a done dataset only shows its spec
        if (ranges == null || epoch < 0 || epoch >= spec.epochs() && !done || trainBatchesSent < 0 || validationBatchesSent < 0) {
            throw new IllegalArgumentException("a state whose progress is out of range");
        }
        for (var r : ranges.entrySet()) {
            long[] range = r.getValue();
            if (r.getKey() == null || r.getKey() < 0 || range == null || range.length != 2 || range[0] < 0 || range[0] > range[1]) {
                throw new IllegalArgumentException("a state whose chunk ranges are not ranges");
            }
        }
    }

    /** A posted spec whose tokens have not arrived yet. */
    static SamplerState posted(String dataset, SamplingSpec spec) {
        return new SamplerState(dataset, spec, Map.of(), 0, false, 0, 0, null);
    }
}
