package dev.llmsuite.services.sampler;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * sampler-service settings, under {@code llm.sampler.*}: the sampling a dataset gets when no spec was
 * posted for it ({@link SamplingSpec} explains each), when a dataset counts as complete, and how this
 * replica runs its Kafka Streams topology.
 */
@ConfigMapping(prefix = "llm.sampler")
public interface SamplerConfig {

    @WithDefault("256")
    int maxLength();

    @WithDefault("256")
    int stride();

    @WithDefault("8")
    int batchSize();

    @WithDefault("0.9")
    double trainFraction();

    @WithDefault("123")
    long seed();

    @WithDefault("1")
    int epochs();

    @WithDefault("1000")
    int shuffleBuffer();

    @WithDefault("true")
    boolean dedup();

    /**
     * Memory one dataset may take: half for held windows (shuffle buffer and the batches being filled: a
     * spec over it is refused with 400), a quarter for one document's tokens and the windows it makes at
     * once (a document over it is dead-lettered and left out), a quarter for dedup state (beyond it, new
     * documents are no longer remembered for dedup).
     */
    @WithDefault("536870912")
    long maxDatasetBytes();

    /**
     * A dataset whose documents are all complete and that gets no chunk for this long has ended its
     * epoch: the shuffle buffer and short batches are flushed, and the next epoch (if any) replays it.
     */
    @WithDefault("3s")
    Duration endOfDataAfter();

    /** How often each task checks for quiet datasets and moves later epochs on. */
    @WithDefault("250ms")
    Duration punctuateEvery();

    /** Kafka Streams' application id: the consumer group, and the prefix of the stores' changelog topics. */
    @WithDefault("sampler-service")
    String applicationId();

    /**
     * Where this replica keeps its RocksDB stores (rebuilt from the changelog topics when empty). One folder per
     * replica: two replicas on one machine must not share it.
     */
    @WithDefault("${java.io.tmpdir}/llm-sampler-state")
    String stateDir();

    /** Where this replica answers HTTP, told to the other replicas (Kafka Streams' application.server). */
    @WithDefault("http://localhost:${quarkus.http.port}")
    String advertisedUrl();

    /**
     * Memory outside the heap that all of this replica's RocksDB stores share (block cache and memtables,
     * {@link BoundedRocksDbMemory}); the pod's memory limit must leave room for it beside the heap.
     */
    @WithDefault("67108864")
    long rocksdbMemoryBytes();

    /** Warm copies of each task's stores on other replicas, so a task moves without replaying its changelog. */
    @WithDefault("0")
    int standbyReplicas();
}
