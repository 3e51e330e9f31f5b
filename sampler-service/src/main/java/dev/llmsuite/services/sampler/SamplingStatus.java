package dev.llmsuite.services.sampler;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * {@code GET /v1/datasets/{id}/sampling}: where a dataset's sampling stands. The counts are there once
 * sampling has started; it is read from the dataset's entry in the sampler-datasets store (on the replica that owns
 * the dataset's partition), so GET keeps answering after a restart.
 *
 * @param reason             why a failed dataset failed
 * @param documentsSeenAgain chunks of documents already sampled (a tokenizer restart sends them again), ignored
 * @param dedupFull          the dedup state reached its budget: later documents are no longer remembered
 */
@RegisterForReflection // read and written by Jackson, also in a native image
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SamplingStatus(String dataset, SamplingSpec spec, State state, String reason, Integer epoch, Long documents,
                             Long exactDuplicates, Long nearDuplicates, Long documentsSeenAgain, Long tokens, Long windows,
                             Long trainBatches, Long validationBatches, Integer openDocuments, Boolean dedupFull) {

    public enum State {
        WAITING_FOR_TOKENS("waiting for tokens"), SAMPLING("sampling"), DONE("done"), FAILED("failed");

        private final String text;

        State(String text) {
            this.text = text;
        }

        @JsonValue
        public String text() {
            return text;
        }
    }

    static SamplingStatus waiting(String dataset, SamplingSpec spec) {
        return new SamplingStatus(dataset, spec, State.WAITING_FOR_TOKENS, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    static SamplingStatus failed(String dataset, String reason) {
        return new SamplingStatus(dataset, null, State.FAILED, reason, null, null, null, null, null, null, null, null, null, null, null);
    }
}
