package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaLora;
import dev.llmsuite.finetune.ClassificationExample;
import dev.llmsuite.finetune.ClassificationRun;
import dev.llmsuite.finetune.FinetuneResult;
import dev.llmsuite.finetune.GptLearner;
import dev.llmsuite.finetune.InstructionLearner;
import dev.llmsuite.finetune.InstructionRun;
import dev.llmsuite.finetune.ClassifierTraining;
import dev.llmsuite.finetune.JudgeClient;
import dev.llmsuite.finetune.LlamaLearner;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.Names;
import dev.llmsuite.service.KafkaMessages;
import dev.llmsuite.service.ProblemException;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/**
 * Fine-tuning jobs: a pre-trained checkpoint, a dataset from finetune.examples, and the book's chapter 6
 * (a classifier: last block, LoRA or everything trained) or chapter 7 (instruction following: a GPT-2 trained
 * whole, a Llama 3 / Qwen3 through LoRA adapters). A job waits
 * for its dataset to be closed, runs on the service's one fine-tuning thread with progress in its status
 * (an instruction job then answers its test prompts and, given a judge endpoint, has them scored),
 * and ends as a checkpoint that inference-service serves under the job's id (announced on
 * model.checkpoints; a classifier's head beside it, for POST /v1/classify), LoRA adapters also apart under
 * {@code checkpoint-dir/adapters/ID} ({@link JobDirectories}) for {@code "model": "BASE+ID"}.
 *
 * <p>Posted jobs are kept as files ({@link FinetuneJobFiles}: the spec, the base, how it ended), so a
 * restarted trainer still knows every job: a finished one by its status (completed: read back from
 * its checkpoint's trainer.json), an unfinished one (waiting, queued or cut off while running) by running it
 * again from the start when its dataset is ready; its seed makes the result the same.</p>
 *
 * <p>With several trainer replicas, fine-tuning runs on one: the replica the consumer group gives partition 0 of
 * {@code train.batches} ({@link #lead}; the others forward the fine-tuning API there). When another replica takes
 * that partition, this one stops its running job at its next progress report, and the new one runs the
 * unfinished jobs again from their files.</p>
 *
 * <p>Over 250 lines because a job's whole life is here (posted, kept in a file, waiting for its dataset, run,
 * published, restored, handed to another replica); the runs themselves are libs/finetune's.</p>
 */
@ApplicationScoped
public class FinetuneJobs {
    private static final Logger LOG = Logger.getLogger(FinetuneJobs.class);
    private static final class Job {
        final FinetuneSpec spec;
        final Path base;
        volatile FinetuneState state = FinetuneState.WAITING;
        volatile int examples;
        volatile String progress;
        volatile FinetuneResult result;
        volatile String checkpoint, adapter, error;
        /** Another replica runs the fine-tuning jobs now: this run stops at its next progress report. */
        volatile boolean cancelled;

        Job(FinetuneSpec spec, Path base) {
            this.spec = spec;
            this.base = base;
        }

        /** The training loops report progress here; a cancelled run ends at its next report. */
        void report(String line) {
            if (cancelled) throw new Cancelled();
            progress = line;
        }

        FinetuneStatus status(FinetuneDatasets datasets) {
            int n = state == FinetuneState.WAITING ? datasets.arriving(spec.dataset()) : examples;
            return new FinetuneStatus(spec.id(), state, n, progress, result, checkpoint, adapter,
                    state == FinetuneState.COMPLETED ? spec.id() : null, error, spec);
        }
    }

    /** Thrown out of a cancelled run's progress report. */
    private static final class Cancelled extends RuntimeException {
        Cancelled() {
            super("another trainer replica runs the fine-tuning jobs now", null, false, false);
        }
    }

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    /** Whether this replica runs the fine-tuning jobs (it owns partition 0 of train.batches). */
    private volatile boolean leading;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("finetune").unstarted(r));
    private final TrainerConfig config;
    private final EngineBackend backend;
    private final FinetuneDatasets datasets;
    private final MutinyEmitter<String> checkpoints;
    private final ObjectMapper json;
    private final BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
    private final FinetuneJobFiles jobFiles;
    private final JobDirectories directories;

    FinetuneJobs(TrainerConfig config, EngineBackend backend, FinetuneDatasets datasets,
                 @Channel("checkpoints") MutinyEmitter<String> checkpoints, ObjectMapper json) {
        this.config = config;
        this.backend = backend;
        this.datasets = datasets;
        this.checkpoints = checkpoints;
        this.json = json;
        this.jobFiles = new FinetuneJobFiles(config.checkpointDir(), json);
        this.directories = new JobDirectories(config.checkpointDir());
    }

    FinetuneStatus submit(FinetuneSpec raw) {
        FinetuneSpec spec = raw.resolved();
        if (!leading) {
            throw new ProblemException(503, "fine-tuning runs on the trainer replica that owns partition 0 of train.batches,"
                    + " which this one no longer does (a rebalance); try again");
        }
        String judgeRefused = spec.judgeUrl() == null ? null : judgeHosts().refusal(spec.judgeUrl());
        if (judgeRefused != null) throw ProblemException.badRequest(judgeRefused);
        Path root = directories.root();
        Path named = root.resolve(spec.base()).normalize();
        if (!named.startsWith(root) || named.equals(root)) {
            throw ProblemException.badRequest("base must be a checkpoint directory under llm.trainer.checkpoint-dir, such as JOB or JOB/step-N");
        }
        Path base;
        try {
            base = HfCheckpoint.newestIn(named); // "JOB" names its newest step, fixed now for the job's lifetime
        } catch (IOException e) {
            throw ProblemException.notFound("no checkpoint at " + Names.quoted(spec.base()));
        }
        if (!Files.isRegularFile(base.resolve("model.safetensors"))) throw ProblemException.notFound("no checkpoint at " + Names.quoted(spec.base()));
        spec = fittingTheBase(raw, spec, base);
        Job job = new Job(spec, base);
        if (jobs.putIfAbsent(spec.id(), job) != null || Files.exists(directories.of(spec.id()))) {
            jobs.remove(spec.id(), job);
            throw new ProblemException(409, "id '" + spec.id() + "' is taken (a job or a checkpoint directory); choose another");
        }
        try {
            store(job);
        } catch (IOException e) {
            jobs.remove(spec.id(), job);
            throw new IllegalStateException("cannot keep the job in " + jobFiles.directory() + ": " + e.getMessage(), e);
        }
        datasets.get(spec.dataset()).ifPresent(d -> start(job, d));
        LOG.infof("fine-tuning job %s (%s, %s) on %s from %s", spec.id(), spec.task(), spec.mode(), spec.dataset(), base);
        return job.status(datasets);
    }

    /**
     * A Llama 3 / Qwen3 base fine-tunes instructions through LoRA adapters (its default mode) or whole (mode all), if
     * the job fits llm.trainer.max-job-bytes; a GPT-2 base as the book does (every weight). Classification jobs take
     * GPT-2 bases.
     */
    private FinetuneSpec fittingTheBase(FinetuneSpec raw, FinetuneSpec spec, Path base) {
        if (!LlamaCheckpoint.isOne(base)) {
            if (!spec.classification() && spec.mode().equals("lora")) {
                throw ProblemException.badRequest("instruction jobs on a GPT-2 base train every weight (mode all); lora is for Llama 3 / Qwen3 bases");
            }
            return spec;
        }
        if (spec.classification()) throw ProblemException.badRequest("classification jobs take GPT-2 bases; " + spec.base() + " is a Llama 3 / Qwen3 model");
        FinetuneSpec fitted = raw.mode() == null ? spec.withMode("lora") : spec;
        LlamaConfig c;
        try {
            c = LlamaCheckpoint.readConfig(base);
        } catch (IOException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        long bytes = llamaJobBytes(c, fitted);
        if (bytes > config.maxJobBytes()) {
            throw ProblemException.badRequest("the job needs about " + (bytes >> 20) + " MiB (weights" + (fitted.mode().equals("all")
                    ? ", gradients and AdamW's moments" : "") + ", and activations and logits for " + Math.min(fitted.maxLength(), c.contextLength())
                    + " tokens); a job may take " + (config.maxJobBytes() >> 20) + " MiB (llm.trainer.max-job-bytes)");
        }
        return fitted;
    }

    /** Bytes a Llama fine-tuning job holds: its weights (four copies when all are trained) and one sequence's activations. */
    static long llamaJobBytes(LlamaConfig c, FinetuneSpec s) {
        long t = Math.min(s.maxLength(), c.contextLength());
        long qw = (long) c.heads() * c.headDim(), kvw = (long) c.kvHeads() * c.headDim();
        long perPosition = c.layers() * (4L * c.hidden() + 3 * qw + 3 * kvw + 3L * c.intermediate()) + 3L * c.hidden() + c.vocabSize();
        long weights = c.parameterCount() * (s.mode().equals("all") ? 4 : 1);
        return 4 * (weights + t * perPosition);
    }

    // ---------------------------------------------------------------- jobs kept across restarts

    private void store(Job job) throws IOException {
        boolean failed = job.state == FinetuneState.FAILED;
        jobFiles.write(new FinetuneJobFiles.StoredJob(job.spec, job.base.toString(), failed ? "failed" : null, job.examples,
                failed ? job.error : null));
    }

    boolean leading() { return leading; }

    /**
     * After each rebalance: whether this replica now owns partition 0 of train.batches, so runs the fine-tuning
     * jobs. Becoming the one: every job posted so far is read back (finished ones as they ended, unfinished ones
     * waiting to run again). Ceasing to be: its jobs are let go, a running one stops at its next progress report.
     */
    synchronized void lead(boolean owner) {
        if (owner == leading) return;
        leading = owner;
        if (!owner) {
            jobs.values().forEach(j -> j.cancelled = true);
            jobs.clear();
            LOG.info("fine-tuning jobs run on another replica now (it owns partition 0 of train.batches)");
            return;
        }
        for (FinetuneJobFiles.StoredJob stored : jobFiles.readAll()) {
            try {
                restore(stored);
            } catch (IOException | RuntimeException x) {
                LOG.warnf("fine-tuning job %s could not be restored: %s", stored.spec().id(), x.getMessage());
            }
        }
    }

    private void restore(FinetuneJobFiles.StoredJob stored) throws IOException {
        Job job = new Job(stored.spec(), Path.of(stored.base()));
        job.examples = stored.examples();
        Path jobDir = directories.of(stored.spec().id());
        List<Path> steps = Files.isDirectory(jobDir) ? HfCheckpoint.stepsNewestFirst(jobDir) : List.of();
        Path done = steps.stream().filter(d -> Files.isRegularFile(d.resolve("trainer.json"))).findFirst().orElse(null);
        if (done != null) {
            var meta = json.readTree(done.resolve("trainer.json").toFile());
            Class<? extends FinetuneResult> type = stored.spec().classification() ? ClassificationRun.Result.class : InstructionRun.Result.class;
            job.result = json.convertValue(meta.path("finetune").path("result"), type);
            job.checkpoint = done.toAbsolutePath().toString();
            Path adapter = directories.adapter(stored.spec().id());
            if (Files.isDirectory(adapter)) job.adapter = adapter.toString();
            job.state = FinetuneState.COMPLETED;
        } else if ("failed".equals(stored.state())) {
            job.error = stored.error();
            job.state = FinetuneState.FAILED;
        }
        if (jobs.putIfAbsent(stored.spec().id(), job) != null) return;
        LOG.infof("fine-tuning job %s restored: %s", stored.spec().id(), job.state);
        if (job.state == FinetuneState.WAITING) datasets.get(stored.spec().dataset()).ifPresent(d -> start(job, d));
    }

    private JudgeHosts judgeHosts() {
        return new JudgeHosts(config.finetune().judgeHosts().orElse(List.of()));
    }

    FinetuneStatus status(String id) {
        Job job = jobs.get(id);
        if (job == null) throw ProblemException.notFound("no fine-tuning job '" + id + "'");
        return job.status(datasets);
    }

    Collection<FinetuneStatus> all() {
        return jobs.values().stream().map(j -> j.status(datasets)).toList();
    }

    /** A dataset was closed: the jobs waiting for it start. */
    void onDataset(@Observes FinetuneDatasets.Dataset d) {
        for (Job job : jobs.values()) {
            if (job.state == FinetuneState.WAITING && job.spec.dataset().equals(d.name())) start(job, d);
        }
    }

    private synchronized void start(Job job, FinetuneDatasets.Dataset d) {
        if (job.state != FinetuneState.WAITING) return;
        job.examples = d.size();
        String problem = d.error() != null ? d.error()
                : job.spec.classification() && d.labelled().isEmpty() ? "dataset " + d.name() + " holds no labelled texts"
                : !job.spec.classification() && d.instructions().isEmpty() ? "dataset " + d.name() + " holds no instructions" : null;
        if (problem != null) {
            fail(job, problem);
            return;
        }
        job.state = FinetuneState.QUEUED;
        worker.submit(() -> run(job, d));
    }

    private void fail(Job job, String why) {
        job.error = why;
        job.state = FinetuneState.FAILED;
        LOG.warnf("fine-tuning job %s failed: %s", job.spec.id(), why);
        try {
            store(job);
        } catch (IOException e) {
            LOG.warnf("fine-tuning job %s: its failure could not be kept: %s", job.spec.id(), e.getMessage());
        }
    }

    private void run(Job job, FinetuneDatasets.Dataset d) {
        job.state = FinetuneState.RUNNING;
        GptModel model = null;
        try {
            if (LlamaCheckpoint.isOne(job.base)) {
                instructLlama(job, d);
                job.state = FinetuneState.COMPLETED;
                LOG.infof("fine-tuning job %s completed: %s", job.spec.id(), job.result);
                return;
            }
            model = HfCheckpoint.load(backend.get(), job.base);
            if (model.config().vocabSize() != Gpt2.VOCABULARY_SIZE) {
                throw new IllegalArgumentException("the base must use GPT-2's vocabulary (" + Gpt2.VOCABULARY_SIZE + " ids)");
            }
            if (job.spec.classification()) classify(job, model, d.labelled());
            else instruct(job, model, d);
            job.state = FinetuneState.COMPLETED;
            LOG.infof("fine-tuning job %s completed: %s", job.spec.id(), job.result);
        } catch (Cancelled e) {
            LOG.infof("fine-tuning job %s stopped here: %s", job.spec.id(), e.getMessage());
        } catch (Exception | OutOfMemoryError e) {
            if (job.cancelled) return; // not this replica's to record any more
            fail(job, e.getMessage() == null ? e.toString() : e.getMessage());
        } finally {
            if (model != null) model.close();
        }
    }

    /** The book's chapter 6 ({@link ClassificationRun}); the adapters also apart, for serving on the base. */
    private void classify(Job job, GptModel model, List<ClassificationExample> raw) throws Exception {
        FinetuneSpec s = job.spec;
        var settings = new ClassificationRun.Settings(s.email(), ClassifierTraining.Mode.valueOf(s.mode().toUpperCase()), s.epochs(),
                s.batchSize(), s.learningRate(), s.weightDecay(), s.maxLength(), s.loraRank(), s.loraAlpha(), s.adaptEpochs(),
                s.adaptLearningRate(), s.adaptLeftOut(), s.keepBest(), s.seed());
        ClassificationRun.Outcome outcome = ClassificationRun.run(model, raw, settings, gpt2::encodeOrdinary, job::report, null);
        Path adapter = directories.adapter(s.id());
        publish(job, outcome.result().steps(), outcome.result(), Map.of("test_accuracy", outcome.result().testAccuracy()), Encodings.gpt2().hash(), dir -> {
            if (outcome.save(model, dir, adapter)) job.adapter = adapter.toString();
        });
    }

    /** The book's chapter 7 ({@link InstructionRun}), judged when the spec names a judge its hosts allow. */
    private void instruct(Job job, GptModel model, FinetuneDatasets.Dataset d) throws Exception {
        InstructionRun.Outcome outcome = instructionRun(job, new GptLearner(model, job.spec.weightDecay(), gpt2::encode, gpt2::decode), d);
        publishInstruction(job, outcome, Encodings.gpt2().hash(), dir -> outcome.save(model, dir));
    }

    /**
     * Chapter 7 on a Llama 3 / Qwen3 base, through LoRA adapters on every linear layer (mode lora) or every weight
     * (all): the checkpoint holds the fine-tuned model (adapters merged in; config.json, model.safetensors, the base's
     * tokenizer files) and the test responses; LoRA adapters also go apart, in PEFT's files, under
     * checkpoint-dir/adapters/ID as a GPT-2 classifier's do.
     */
    private void instructLlama(Job job, FinetuneDatasets.Dataset d) throws Exception {
        FinetuneSpec s = job.spec;
        var lora = s.mode().equals("lora") ? new LlamaLora.Settings(s.loraRank(), s.loraAlpha(), EnumSet.allOf(LlamaLora.Target.class)) : null;
        try (LlamaLearner learner = LlamaLearner.open(backend.get(), job.base, lora, s.weightDecay(), s.seed())) {
            InstructionRun.Outcome outcome = instructionRun(job, learner, d);
            Path adapter = directories.adapter(s.id());
            publishInstruction(job, outcome, learner.tokenizer().vocabulary().hash(), dir -> {
                learner.save(dir, adapter);
                outcome.writeResponses(dir.resolve(InstructionRun.RESPONSES));
                if (lora != null) job.adapter = adapter.toString();
            });
        }
    }

    private InstructionRun.Outcome instructionRun(Job job, InstructionLearner learner, FinetuneDatasets.Dataset d) throws Exception {
        FinetuneSpec s = job.spec;
        String judgeRefused = s.judgeUrl() == null ? null : judgeHosts().refusal(s.judgeUrl()); // the list may have changed since
        InstructionRun.Judge judge = s.judgeUrl() == null || judgeRefused != null ? null
                : new InstructionRun.Judge(new JudgeClient(s.judgeUrl(), s.judgeModel(), config.finetune().judgeApiKey().orElse(null)),
                        s.judgeModel());
        InstructionRun.Outcome outcome = InstructionRun.run(learner, d.instructions(),
                new InstructionRun.Settings(s.epochs(), s.batchSize(), s.learningRate(), s.weightDecay(), s.maxLength(), s.maskPrompt(),
                        s.maxNewTokens(), s.seed()),
                judge, job::report,
                stage -> job.state = stage == InstructionRun.Stage.RESPONDING ? FinetuneState.RESPONDING : FinetuneState.JUDGING);
        return judgeRefused == null ? outcome
                : new InstructionRun.Outcome(outcome.result().withJudge(InstructionRun.Judged.failed(s.judgeModel(), judgeRefused)), outcome.responses());
    }

    private void publishInstruction(Job job, InstructionRun.Outcome outcome, String vocabularyHash, CheckpointWriter.Contents files)
            throws Exception {
        InstructionRun.Result result = outcome.result();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", result.lastTrainLoss());
        if (!Double.isNaN(result.validationLoss())) metrics.put("val_loss", result.validationLoss());
        publish(job, result.steps(), result, metrics, vocabularyHash, files);
    }

    /** Writes the result as a checkpoint (plus trainer.json) and announces it for inference-service. */
    private void publish(Job job, int steps, FinetuneResult result, Map<String, Double> metrics, String vocabularyHash,
                         CheckpointWriter.Contents files) throws Exception {
        if (job.cancelled) throw new Cancelled(); // a cancelled run writes and announces nothing
        Path dir = directories.of(job.spec.id()).resolve("step-" + steps);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("dataset", job.spec.dataset());
        meta.put("step", steps);
        meta.put("tokens", 0);
        meta.put("vocabularyHash", vocabularyHash);
        meta.put("finetune", Map.of("spec", job.spec, "base", job.base.toString(), "result", result));
        Map<String, String> hashes = CheckpointWriter.write(dir, tmp -> {
            files.writeInto(tmp);
            json.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("trainer.json").toFile(), meta);
        });
        job.result = result;
        job.checkpoint = dir.toString();
        CheckpointAnnouncement a = new CheckpointAnnouncement(job.spec.id(), job.spec.id(), steps, dir.toString(), hashes, metrics,
                System.currentTimeMillis());
        checkpoints.sendMessage(KafkaMessages.keyed(job.spec.id(), json.writeValueAsString(a))).await().atMost(Duration.ofSeconds(30));
    }

    @PreDestroy
    void stop() {
        worker.shutdownNow();
    }
}
