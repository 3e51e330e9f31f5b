package dev.llmsuite.services.sampler;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.service.ReplicaForwarding;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;

/**
 * The datasets as the API sees them, whichever replica holds them: a GET is answered from the owner's store
 * (here, or forwarded once to the replica Kafka Streams names); a POST writes the spec to sampling.specs and
 * answers once the owner has taken it.
 */
@ApplicationScoped
public class DatasetSamplers {
    private static final Duration SPEC_TAKEN_WITHIN = Duration.ofSeconds(30);

    private final SamplerStreams streams;
    private final SamplerConfig config;
    private final ObjectMapper json;
    private final ReplicaForwarding forwarding = new ReplicaForwarding();

    DatasetSamplers(SamplerStreams streams, SamplerConfig config, ObjectMapper json) {
        this.streams = streams;
        this.config = config;
        this.json = json;
    }

    /** POST /v1/datasets/{id}/sampling: 400 for a bad spec, 409 once the dataset's sampling has started (or ended, or failed). */
    SamplingStatus define(String dataset, SamplingSpec requested, String authorization) {
        SamplingSpec spec;
        try {
            spec = requested.resolve(config);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        status(dataset, false, authorization).ifPresent(DatasetSamplers::refuseUnlessWaiting);
        try {
            streams.post(dataset, json.writeValueAsBytes(spec));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        long deadline = System.nanoTime() + SPEC_TAKEN_WITHIN.toNanos();
        while (System.nanoTime() - deadline < 0) {
            Optional<SamplingStatus> now = status(dataset, false, authorization);
            if (now.isPresent()) {
                refuseUnlessWaiting(now.get());
                if (spec.equals(now.get().spec())) return now.get();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new ProblemException(503, "the spec was written to sampling.specs but the sampler that owns dataset '" + dataset
                + "' has not taken it within 30 s; GET it to see when it has");
    }

    private static void refuseUnlessWaiting(SamplingStatus s) {
        switch (s.state()) {
            case FAILED -> throw new ProblemException(409, "dataset '" + s.dataset() + "' failed: " + s.reason());
            case SAMPLING -> throw new ProblemException(409, "dataset '" + s.dataset() + "' is already being sampled with " + s.spec());
            case DONE -> throw new ProblemException(409, "dataset '" + s.dataset() + "' has been sampled");
            case WAITING_FOR_TOKENS -> { }
        }
    }

    /**
     * GET /v1/datasets/{id}/sampling. forwarded: the request came from another replica, so it is not sent on again
     * (503 if this replica no longer owns the dataset: a rebalance moved it in between).
     */
    Optional<SamplingStatus> status(String dataset, boolean forwarded, String authorization) {
        return switch (streams.progress(dataset)) {
            case SamplerStreams.Here here -> here.progress().map(p -> DatasetSampler.status(dataset, p, config.maxDatasetBytes()));
            case SamplerStreams.Elsewhere there -> {
                if (forwarded) throw new ProblemException(503, "dataset '" + dataset + "' moved to another replica; try again");
                ReplicaForwarding.Answer answer = forwarding.forward(there.baseUrl(), "GET", "/v1/datasets/" + dataset + "/sampling", null,
                        authorization);
                if (answer.status() == 404) yield Optional.empty();
                if (answer.status() != 200) throw new ProblemException(answer.status(), "the replica that owns dataset '" + dataset
                        + "' answered " + answer.status() + ": " + answer.body());
                try {
                    yield Optional.of(json.readValue(answer.body(), SamplingStatus.class));
                } catch (JsonProcessingException e) {
                    throw new ProblemException(502, "the replica that owns dataset '" + dataset + "' answered what is no status");
                }
            }
        };
    }
}
