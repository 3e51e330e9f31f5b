package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.records.Names;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The pre-training jobs this replica runs, by id. A job belongs to the replica that the consumer group gives its
 * dataset's partition of the batch topics ({@link DatasetPartition}); {@link JobOwnership} tells this registry when
 * partitions come and go. Coming: the jobs of those partitions are resumed from the shared checkpoint volume (each
 * from the checkpoint the group's committed offsets name) or, posted but not yet checkpointed, started from their
 * {@code job.json}. Going: they are dropped here. Posted jobs and auto-jobs (started by a dataset's first batch)
 * start only on the replica that owns their dataset. Each job's folder is {@link JobDirectories}' to name.
 *
 * <p>Over 250 lines because the registry and the ownership it follows change together under one lock: which jobs
 * are here, which partitions are, and the first assignment that the jobs API waits for.</p>
 */
@ApplicationScoped
@Startup
public class TrainingJobs {
    private static final Logger LOG = Logger.getLogger(TrainingJobs.class);

    private final Map<String, TrainingJob> jobs = new ConcurrentHashMap<>();
    private final TrainerConfig config;
    private final EngineBackend backend;
    private final MeterRegistry registry;
    private final BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
    /** The Kafka cluster whose topic positions the checkpoints record (null if it did not answer). */
    private final String clusterId;
    private final JobDirectories directories;
    private final ObjectMapper json;
    /** Partitions of the batch topics this replica owns now. */
    private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
    /** How many partitions the batch topics have (0 until the first assignment). */
    private volatile int partitions;
    /** Completes when the first assignment's jobs are resumed: then the jobs API knows every job this replica owns. */
    private final CompletableFuture<Void> joined = new CompletableFuture<>();

    TrainingJobs(TrainerConfig config, EngineBackend backend, ObjectMapper json, MeterRegistry registry,
                 @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.backend = backend;
        this.registry = registry;
        this.clusterId = KafkaCluster.id(bootstrapServers);
        this.directories = new JobDirectories(config.checkpointDir());
        this.json = json;
    }

    // ---------------------------------------------------------------- ownership

    /** Whether the consumer group has given this replica its partitions at least once (it may own none). */
    boolean joined() { return joined.isDone(); }

    /** Requests that need the replica's jobs wait for the first assignment: 503 if it takes over 30 s. */
    private void awaitJoined() {
        ProblemException.awaitReady(joined, Duration.ofSeconds(30),
                "this replica has not joined the trainers' consumer group yet; try again shortly");
    }

    Set<Integer> owned() { return Set.copyOf(owned); }

    int partitionOf(String dataset) { return DatasetPartition.of(dataset, partitions); }

    /**
     * The group gave this replica these partitions (after every rebalance, possibly the same ones again). A job it
     * held before the rebalance goes on from memory when its partition came back and the group's committed offsets
     * still name the checkpoint this replica last committed for it (no other replica committed the job since);
     * otherwise it is dropped. Then every job on the volume whose dataset is on an assigned partition and that is
     * not held joins, resumed from the step {@code committedSteps} names for it (else its newest).
     */
    synchronized void adopt(Collection<Integer> assigned, int partitionCount, Map<String, Long> committedSteps) {
        partitions = partitionCount;
        owned.addAll(assigned);
        for (TrainingJob job : List.copyOf(jobs.values())) {
            boolean back = assigned.contains(partitionOf(job.spec.dataset()))
                    && committedSteps.getOrDefault(job.spec.id(), 0L) == job.committedStep;
            if (back) {
                job.handedOver = false;
            } else {
                drop(job);
            }
        }
        for (Path folder : directories.jobFolders()) {
            String id = folder.getFileName().toString();
            if (jobs.containsKey(id)) continue;
            Optional<JobSpec> spec = JobCheckpoints.spec(folder, json);
            if (spec.isEmpty() || !assigned.contains(partitionOf(spec.get().dataset()))) continue;
            if (!id.equals(spec.get().id())) continue; // an older version's "ID.old-TIME" folder
            if (JobCheckpoints.hasSteps(folder)) {
                JobCheckpoints.restore(folder, committedSteps.get(id), backend.get(), json, this::sampleTokenizer, clusterId)
                        .ifPresent(this::register);
            } else {
                register(new TrainingJob(spec.get(), null, backend.get(), config.model().vocabSize(), null));
                LOG.infof("job %s (posted, no checkpoint yet) joins this replica", id);
            }
        }
        joined.complete(null);
    }

    /** The jobs on these partitions. */
    List<TrainingJob> on(Collection<Integer> partitionsOfJobs) {
        return jobs.values().stream().filter(j -> partitionsOfJobs.contains(partitionOf(j.spec.dataset()))).toList();
    }

    /**
     * A rebalance takes these partitions (their jobs are {@link TrainingJob#handedOver} and checkpointed by then):
     * no batch of them is claimed here any more. The jobs stay in memory until the assignment that follows says
     * whether they come back ({@link #adopt}).
     */
    void suspend(Collection<Integer> revoked) {
        owned.removeAll(revoked);
    }

    private void drop(TrainingJob job) {
        job.handedOver = true;
        jobs.remove(job.spec.id());
        registry.getMeters().stream().filter(m -> job.spec.id().equals(m.getId().getTag("job"))).forEach(registry::remove);
        job.close();
        LOG.infof("job %s left this replica (partition %d is another's, or another replica committed the job since)",
                job.spec.id(), partitionOf(job.spec.dataset()));
    }

    /** 409 if a job of this id lives on another replica (its folder's dataset is not on a partition owned here). */
    private void requireIdFreeHere(String id) {
        Path folder = directories.of(id);
        JobCheckpoints.spec(folder, json).filter(other -> !owned.contains(partitionOf(other.dataset()))).ifPresent(other -> {
            throw new ProblemException(409, "job '" + id + "' exists (it trains dataset '" + other.dataset()
                    + "' on another replica); choose another id");
        });
    }

    String clusterId() { return clusterId; }

    JobDirectories directories() { return directories; }

    Collection<TrainingJob> values() { return jobs.values(); }

    private BpeTokenizer sampleTokenizer(String vocabularyHash) {
        return Encodings.gpt2().hash().equals(vocabularyHash) ? gpt2 : null;
    }

    /**
     * The partition of the posted spec's dataset when another replica owns it (the request goes there), empty when
     * this replica does: 400 for a spec that is not valid, 503 before this replica has joined the group.
     */
    Optional<Integer> ownedElsewhere(JobSpec requested) {
        int partition = partitionOf(resolvedOnceJoined(requested).dataset());
        return owned.contains(partition) ? Optional.empty() : Optional.of(partition);
    }

    /** The spec with the defaults filled in (400 when it is not valid), once this replica knows its partitions. */
    private JobSpec resolvedOnceJoined(JobSpec requested) {
        JobSpec spec;
        try {
            spec = requested.resolve(config);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        awaitJoined(); // not under this registry's lock: the assignment that completes it takes that lock
        return spec;
    }

    /** Whether this replica holds the job now. */
    boolean holds(String id) {
        awaitJoined();
        return jobs.containsKey(id);
    }

    /** Whether this replica owns this partition of the batch topics now. */
    boolean ownsPartition(int partition) {
        awaitJoined();
        return owned.contains(partition);
    }

    /** Whether this replica owns the dataset's partition now (its jobs are here). */
    boolean ownsDataset(String dataset) {
        awaitJoined();
        return owned.contains(partitionOf(dataset));
    }

    /** Starts a job (POST /v1/jobs): 409 if the id exists or a running job already trains the dataset. */
    JobStatus start(JobSpec requested) {
        JobSpec spec = resolvedOnceJoined(requested);
        synchronized (this) {
            return startJoined(spec);
        }
    }

    private JobStatus startJoined(JobSpec spec) {
        int partition = partitionOf(spec.dataset());
        if (!owned.contains(partition)) {
            throw new ProblemException(421, "dataset '" + spec.dataset() + "' is on partition " + partition
                    + " of train.batches, which another replica owns (this one owns " + new TreeSet<>(owned) + ")");
        }
        if (jobs.containsKey(spec.id())) throw new ProblemException(409, "job '" + spec.id() + "' exists; choose another id");
        running(spec.dataset()).ifPresent(j -> {
            throw new ProblemException(409, "job '" + j.spec.id() + "' is already training dataset '" + spec.dataset() + "'");
        });
        requireIdFreeHere(spec.id());
        String full = overResidentBudget(spec);
        if (full != null) throw new ProblemException(503, full + "; wait for a job to finish, stop one, or add replicas");
        TrainingJob job = new TrainingJob(spec, null, backend.get(), config.model().vocabSize(), null);
        directories.setAside(spec.id());
        try {
            JobCheckpoints.writePosted(spec, directories.of(spec.id()), json);
        } catch (IOException e) {
            throw new ProblemException(503, "cannot write the job's spec to the checkpoint volume: " + e.getMessage());
        }
        register(job);
        LOG.infof("job %s started on dataset %s", spec.id(), spec.dataset());
        return job.status();
    }

    /**
     * Why a new job's model would not fit beside the models this replica holds (llm.trainer.max-resident-bytes), or
     * null when it fits. A job counts until its model is released (finished and checkpointed, stopped, or moved).
     */
    private String overResidentBudget(JobSpec spec) {
        int vocabulary = config.model().vocabSize();
        long held = jobs.values().stream().filter(TrainingJob::holdsModel).mapToLong(j -> j.spec.trainingBytes(vocabulary)).sum();
        long needed = spec.trainingBytes(vocabulary);
        if (held + needed <= config.maxResidentBytes()) return null;
        return "job '" + spec.id() + "' needs " + (needed >> 20) + " MiB for its model beside the " + (held >> 20) + " MiB this replica's"
                + " jobs hold; together they may take " + (config.maxResidentBytes() >> 20) + " MiB (llm.trainer.max-resident-bytes)";
    }

    /** A job joins the service, with its gauges (tagged by job): step, loss, validation loss, learning rate, tokens/s. */
    private void register(TrainingJob job) {
        jobs.put(job.spec.id(), job);
        Tags tags = Tags.of("job", job.spec.id());
        registry.gauge("llm.trainer.job.step", tags, job, j -> j.step);
        registry.gauge("llm.trainer.job.loss", tags, job, j -> j.loss);
        registry.gauge("llm.trainer.job.validation.loss", tags, job, j -> j.validationLoss);
        registry.gauge("llm.trainer.job.learning.rate", tags, job, j -> j.learningRate);
        registry.gauge("llm.trainer.job.tokens.per.second", tags, job, j -> j.tokensPerSecond);
    }

    TrainingJob job(String id) {
        awaitJoined();
        TrainingJob job = jobs.get(id);
        if (job == null) throw ProblemException.notFound("no job '" + id + "'");
        return job;
    }

    Collection<JobStatus> all() {
        awaitJoined();
        return jobs.values().stream().map(TrainingJob::status).toList();
    }

    /** The running job of a dataset, else its newest one. */
    Optional<TrainingJob> forDataset(String dataset) {
        return running(dataset).or(() -> jobs.values().stream().filter(j -> j.spec.dataset().equals(dataset))
                .max(Comparator.comparingLong(j -> j.step)));
    }

    private Optional<TrainingJob> running(String dataset) {
        return jobs.values().stream().filter(j -> j.spec.dataset().equals(dataset) && !j.finished()).findFirst();
    }

    /**
     * The job a batch belongs to: the dataset's running job, or a new default one (auto-jobs), or none (also when
     * the batch's partition has gone to another replica since it was fetched).
     */
    synchronized TrainingJob claim(TrainingBatch batch, int partition) {
        if (!owned.contains(partition)) return null;
        if (partitionOf(batch.datasetId()) != partition) {
            throw new IllegalArgumentException("a batch of dataset " + Names.quoted(batch.datasetId()) + " on partition " + partition
                    + ", where its dataset key does not put it (partition " + partitionOf(batch.datasetId()) + "): its job would be"
                    + " trained by two replicas");
        }
        Optional<TrainingJob> job = forDataset(batch.datasetId());
        if (job.isEmpty() && config.autoJobs()) {
            JobSpec spec;
            try {
                spec = JobSpec.forDataset(batch.datasetId()).resolve(config);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("no auto-job for dataset " + Names.quoted(batch.datasetId()) + ": " + e.getMessage()
                        + "; POST /v1/jobs with another id trains it");
            }
            try {
                requireIdFreeHere(spec.id());
            } catch (ProblemException e) {
                throw new IllegalArgumentException("no auto-job for dataset " + Names.quoted(batch.datasetId()) + ": " + e.getMessage());
            }
            String full = overResidentBudget(spec);
            if (full != null) throw new IllegalArgumentException("no auto-job for dataset " + Names.quoted(batch.datasetId()) + ": " + full);
            TrainingJob j = new TrainingJob(spec, batch.vocabularyHash(), backend.get(), config.model().vocabSize(),
                    sampleTokenizer(batch.vocabularyHash()));
            directories.setAside(spec.id());
            register(j);
            LOG.infof("job %s started for dataset %s (auto-jobs)", spec.id(), spec.dataset());
            return j;
        }
        TrainingJob j = job.orElse(null);
        if (j != null && j.vocabularyHash == null) j.bindVocabulary(batch.vocabularyHash(), sampleTokenizer(batch.vocabularyHash()));
        if (j != null && !j.vocabularyHash.equals(batch.vocabularyHash())) {
            throw new IllegalArgumentException("batch vocabulary hash " + batch.vocabularyHash() + " does not match job "
                    + j.spec.id() + " (" + j.vocabularyHash + ")");
        }
        return j;
    }
}
