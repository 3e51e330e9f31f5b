package dev.llmsuite.services.tokenizer;

import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.BpeTrainer;
import dev.llmsuite.tokenizer.Encodings;
import dev.llmsuite.tokenizer.Vocabulary;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * BPE training as background jobs, one at a time, with progress. A finished vocabulary is registered
 * under its name at once and, when a vocabulary directory is configured, saved there.
 */
@ApplicationScoped
public class VocabularyTrainingJobs {
    private static final Logger LOG = Logger.getLogger(VocabularyTrainingJobs.class);

    /** What {@code GET /v1/encodings/jobs/{id}} shows. */
    public record JobStatus(String id, String name, String state, int mergesDone, int mergesTarget,
                            double elapsedSeconds, Double etaSeconds, String hash, String error) {}

    private static final class Job {
        final String id = UUID.randomUUID().toString();
        final String name;
        final long started = System.nanoTime();
        volatile String state = "queued";
        volatile int done;
        volatile int target;
        volatile long finished;
        volatile String hash;
        volatile String error;

        Job(String name) { this.name = name; }

        JobStatus status() {
            long end = finished != 0 ? finished : System.nanoTime();
            double elapsed = (end - started) / 1e9;
            Double eta = state.equals("running") && done > 0 ? elapsed / done * (target - done) : null;
            return new JobStatus(id, name, state, done, target, elapsed, eta, hash, error);
        }
    }

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bpe-training");
        t.setDaemon(true);
        return t;
    });
    private final TokenizerRegistry registry;
    private final TokenizerConfig config;

    VocabularyTrainingJobs(TokenizerRegistry registry, TokenizerConfig config) {
        this.registry = registry;
        this.config = config;
    }

    /** Finished jobs kept for GET; older ones are forgotten. */
    private static final int KEEP_FINISHED = 100;

    synchronized JobStatus start(String name, int vocabSize, List<String> specials, int minFrequency, String corpus) {
        if (registry.contains(name) || jobs.values().stream().anyMatch(j -> j.name.equals(name) && j.error == null)) {
            throw new ProblemException(409, "an encoding named '" + name + "' exists or is being trained");
        }
        long pending = jobs.values().stream().filter(j -> j.finished == 0).count();
        if (pending >= config.training().maxJobs()) {
            throw ProblemException.tooManyRequests(pending + " vocabularies are being trained or wait for it"
                    + " (llm.tokenizer.training.max-jobs); retry when one is done", 10);
        }
        if (registry.trainedCount() + pending >= config.training().maxVocabularies()) {
            throw new ProblemException(409, "this service holds " + config.training().maxVocabularies()
                    + " trained vocabularies (llm.tokenizer.training.max-vocabularies); no more are trained");
        }
        forgetOldFinished();
        BpeTrainer trainer = new BpeTrainer(vocabSize, specials, minFrequency);
        Job job = new Job(name);
        job.target = vocabSize - 256 - specials.size();
        jobs.put(job.id, job);
        worker.submit(() -> run(job, trainer, corpus));
        return job.status();
    }

    private void run(Job job, BpeTrainer trainer, String corpus) {
        job.state = "running";
        try {
            Vocabulary v = trainer.train(job.name, corpus, (done, target, count) -> job.done = done);
            Optional<Path> dir = config.vocabularyDir();
            if (dir.isPresent()) {
                Files.createDirectories(dir.get());
                Encodings.saveTiktoken(v, dir.get().resolve(job.name + ".tiktoken"));
            }
            registry.add(v);
            job.hash = v.hash();
            job.state = "done";
            LOG.infof("trained vocabulary %s: %d ids, hash %s", job.name, v.size(), v.hash());
        } catch (Exception | OutOfMemoryError e) {
            job.error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            job.state = "failed";
            LOG.warnf("training %s failed: %s", job.name, job.error);
        } finally {
            job.finished = System.nanoTime();
        }
    }

    private void forgetOldFinished() {
        List<Job> finished = jobs.values().stream().filter(j -> j.finished != 0)
                .sorted(Comparator.comparingLong(j -> j.finished)).toList();
        for (int i = 0; i < finished.size() - KEEP_FINISHED; i++) jobs.remove(finished.get(i).id);
    }

    Optional<JobStatus> status(String id) {
        return Optional.ofNullable(jobs.get(id)).map(Job::status);
    }
}
