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
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The pre-training jobs this service runs, by id: those resumed from their checkpoints at start (before any
 * batch is consumed), those posted, and auto-jobs started by a dataset's first batch. Each job's folder is
 * {@link JobDirectories}' to name.
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

    TrainingJobs(TrainerConfig config, EngineBackend backend, ObjectMapper json, MeterRegistry registry,
                 @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.config = config;
        this.backend = backend;
        this.registry = registry;
        this.clusterId = KafkaCluster.id(bootstrapServers);
        this.directories = new JobDirectories(config.checkpointDir());
        for (TrainingJob job : JobCheckpoints.restoreAll(directories, backend.get(), json, this::sampleTokenizer, clusterId)) {
            register(job);
        }
    }

    String clusterId() { return clusterId; }

    JobDirectories directories() { return directories; }

    Collection<TrainingJob> values() { return jobs.values(); }

    private BpeTokenizer sampleTokenizer(String vocabularyHash) {
        return Encodings.gpt2().hash().equals(vocabularyHash) ? gpt2 : null;
    }

    /** Starts a job (POST /v1/jobs): 409 if the id exists or a running job already trains the dataset. */
    synchronized JobStatus start(JobSpec requested) {
        JobSpec spec;
        try {
            spec = requested.resolve(config);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        if (jobs.containsKey(spec.id())) throw new ProblemException(409, "job '" + spec.id() + "' exists; choose another id");
        running(spec.dataset()).ifPresent(j -> {
            throw new ProblemException(409, "job '" + j.spec.id() + "' is already training dataset '" + spec.dataset() + "'");
        });
        TrainingJob job = new TrainingJob(spec, null, backend.get(), config.model().vocabSize(), null);
        directories.setAside(spec.id());
        register(job);
        LOG.infof("job %s started on dataset %s", spec.id(), spec.dataset());
        return job.status();
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
        TrainingJob job = jobs.get(id);
        if (job == null) throw ProblemException.notFound("no job '" + id + "'");
        return job;
    }

    Collection<JobStatus> all() {
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

    /** The job a batch belongs to: the dataset's running job, or a new default one (auto-jobs), or none. */
    synchronized TrainingJob claim(TrainingBatch batch) {
        Optional<TrainingJob> job = forDataset(batch.datasetId());
        if (job.isEmpty() && config.autoJobs()) {
            JobSpec spec;
            try {
                spec = JobSpec.forDataset(batch.datasetId()).resolve(config);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("no auto-job for dataset " + Names.quoted(batch.datasetId()) + ": " + e.getMessage()
                        + "; POST /v1/jobs with another id trains it");
            }
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
