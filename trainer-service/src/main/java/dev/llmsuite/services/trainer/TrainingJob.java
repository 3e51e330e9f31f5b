package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import dev.llmsuite.engine.train.LearningRateSchedule;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Gpt2;
import dev.llmsuite.records.TrainingBatch;
import dev.llmsuite.tokenizer.BpeTokenizer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One pre-training job: a GPT, its AdamW state and schedule, its counters, and where in the batch
 * topic it stands. {@link #positions} maps each partition of {@code train.batches} to the offset after
 * the last batch trained, so a batch seen again after a restart is recognised and skipped: a batch is
 * trained once however often it is delivered. Steps run one at a time (synchronized): the model's
 * activation buffers are shared by forward and backward.
 */
final class TrainingJob {
    /** Where a job is; JSON shows the lower-case name. */
    enum State {
        RUNNING, COMPLETED, STOPPED, FAILED;

        @JsonValue
        String text() {
            return name().toLowerCase();
        }
    }

    final JobSpec spec;
    /** Known from the first batch when the job was posted before its data (then null). */
    String vocabularyHash;
    final GptModel model;
    final AdamW optimizer;
    private final LearningRateSchedule schedule;
    private BpeTokenizer sampleTokenizer;
    // What status() reports is volatile and read without the lock: a status request never waits for a
    // training step or an evaluation, which take seconds on big models or slow devices.
    volatile State state = State.RUNNING;
    volatile String error;
    volatile long step;
    volatile long epoch;
    volatile long tokens;
    volatile double loss = Double.NaN;
    volatile double validationLoss = Double.NaN;
    volatile double learningRate = Double.NaN;
    volatile double tokensPerSecond = Double.NaN;
    /** The last step's gradient norm before clipping. */
    volatile double gradientNorm = Double.NaN;
    volatile String sample;
    volatile String lastCheckpoint;
    /** Why the newest checkpoint could not be written (a full volume), until one is. */
    volatile String checkpointError;
    /** The model and optimizer gave their memory back (a finished job, fully checkpointed). */
    private volatile boolean released;
    /** The step the newest checkpoint holds (0: none yet). */
    long checkpointedStep;
    /** The step of the newest checkpoint whose offsets this replica committed, and so announced. */
    long committedStep;
    /** The newest checkpoint's announcement while its offsets are not committed yet. */
    CheckpointAnnouncement unannounced;
    /**
     * This replica gave the job up (its partition went to another replica in a rebalance, or was lost):
     * it trains no further step and writes no further checkpoint.
     */
    volatile boolean handedOver;
    /** partition → offset after the last trained batch. */
    final Map<Integer, Long> positions = new HashMap<>();
    /** partition → positions as the newest checkpoint holds them. */
    Map<Integer, Long> checkpointedPositions = Map.of();
    /** partition → the first offset this process saw for the job (what a restart needs if no checkpoint holds more). */
    final Map<Integer, Long> firstSeen = new HashMap<>();
    /**
     * (epoch, batch index) of the last training batch trained, and of the last validation batch kept. The
     * sampler numbers each dataset's batches in order on one partition, so a batch not after these is one
     * it sent again (after its own restart) and is skipped: the batch's identity, not only its offset.
     */
    long[] lastTrainBatch = {-1, -1};
    private final long[] lastValidationBatch = {-1, -1};
    /** When the last training batch arrived, for the idle checkpoint. */
    volatile long lastBatchNanos = System.nanoTime();
    private final ArrayDeque<TrainingBatch> evalSet = new ArrayDeque<>();

    /**
     * @param sampleTokenizer decodes the evaluation sample, or null when the job's vocabulary is not GPT-2's
     */
    TrainingJob(JobSpec spec, String vocabularyHash, ComputeBackend backend, int vocabSize, BpeTokenizer sampleTokenizer) {
        this(spec, vocabularyHash, newModel(spec, backend, vocabSize), sampleTokenizer);
    }

    /** A job around a model restored from a checkpoint. */
    TrainingJob(JobSpec spec, String vocabularyHash, GptModel model, BpeTokenizer sampleTokenizer) {
        this.spec = spec;
        this.vocabularyHash = vocabularyHash;
        this.model = model;
        this.sampleTokenizer = sampleTokenizer;
        this.optimizer = new AdamW(model, new AdamW.Settings(0.9f, 0.999f, 1e-8f, spec.weightDecay().floatValue()));
        int total = spec.maxSteps() > 0 ? (int) Math.min(Integer.MAX_VALUE, spec.maxSteps()) : Integer.MAX_VALUE;
        this.schedule = new LearningRateSchedule(spec.learningRate() / Math.max(1, spec.warmupSteps()), spec.learningRate(),
                spec.minLearningRate(), spec.warmupSteps(), Math.max(total, 1));
    }

    /** A posted job meets its first batch: from now on only this vocabulary's batches fit. */
    synchronized void bindVocabulary(String hash, BpeTokenizer tokenizer) {
        if (vocabularyHash == null) {
            vocabularyHash = hash;
            sampleTokenizer = tokenizer;
        }
    }

    private static GptModel newModel(JobSpec spec, ComputeBackend backend, int vocabSize) {
        GptModel m = new GptModel(backend, spec.modelConfig(vocabSize));
        m.initialize(spec.seed());
        return m;
    }

    /** Checks that a batch fits this model, so a bad one is dead-lettered rather than half-trained. */
    void requireFits(TrainingBatch b) {
        requireFits(b, model.config());
    }

    /** Whether a batch fits a model of this shape (context and vocabulary); IllegalArgumentException says why not. */
    static void requireFits(TrainingBatch b, GptConfig shape) {
        if (b.contextLength() > shape.contextLength()) {
            throw new IllegalArgumentException("batch context " + b.contextLength() + " exceeds the model's " + shape.contextLength());
        }
        for (int id : b.inputs()) {
            if (id < 0 || id >= shape.vocabSize()) throw new IllegalArgumentException("input id " + id + " outside the vocabulary");
        }
        for (int id : b.targets()) {
            if (id != TrainingBatch.IGNORE_INDEX && (id < 0 || id >= shape.vocabSize())) {
                throw new IllegalArgumentException("target id " + id + " outside the vocabulary");
            }
        }
    }

    /**
     * True when the batch at (partition, offset) is already in the model: delivered again after a trainer
     * restart (its offset), or sent again by a restarted sampler (its epoch and index).
     */
    synchronized boolean alreadyTrained(int partition, long offset, TrainingBatch b) {
        firstSeen.putIfAbsent(partition, offset);
        return offset < positions.getOrDefault(partition, Long.MIN_VALUE) || !after(b, lastTrainBatch);
    }

    private static boolean after(TrainingBatch b, long[] last) {
        return b.epoch() > last[0] || (b.epoch() == last[0] && b.batchIndex() > last[1]);
    }

    /** One optimizer step on the batch; returns the batch's loss before the update, or NaN if the job is not running. */
    synchronized double train(TrainingBatch b, int partition, long offset) {
        if (state != State.RUNNING || handedOver) return Double.NaN;
        if (spec.epochs() > 0 && b.epoch() >= spec.epochs()) {
            state = State.COMPLETED;
            return Double.NaN;
        }
        long t0 = System.nanoTime();
        learningRate = schedule.at((int) Math.min(Integer.MAX_VALUE, step));
        // Dropout masks are a function of (seed, step): a resumed job draws the same ones.
        double l = model.forward(b.inputs(), b.targets(), b.documentStarts(), b.batchSize(), b.contextLength(), true,
                spec.seed() * 1_000_003L + step);
        model.zeroGradients();
        model.backward(1f);
        gradientNorm = AdamW.clipGradientNorm(model, spec.gradientClip());
        optimizer.step((float) learningRate);
        step++;
        epoch = b.epoch();
        tokens += b.tokens();
        positions.put(partition, offset + 1);
        lastTrainBatch = new long[] {b.epoch(), b.batchIndex()};
        lastBatchNanos = System.nanoTime();
        double rate = b.tokens() / ((lastBatchNanos - t0) / 1e9);
        tokensPerSecond = Double.isNaN(tokensPerSecond) ? rate : 0.9 * tokensPerSecond + 0.1 * rate;
        loss = l;
        if (spec.maxSteps() > 0 && step >= spec.maxSteps()) state = State.COMPLETED;
        return l;
    }

    synchronized void addValidationBatch(TrainingBatch b) {
        if (spec.evalBatches() == 0 || !after(b, lastValidationBatch)) return;
        lastValidationBatch[0] = b.epoch();
        lastValidationBatch[1] = b.batchIndex();
        evalSet.addLast(b);
        while (evalSet.size() > spec.evalBatches()) evalSet.removeFirst();
    }

    /** The validation batches kept now: a checkpoint carries them, and the evaluator scores it on them. */
    synchronized List<TrainingBatch> heldOut() {
        return List.copyOf(evalSet);
    }

    boolean evaluationDue() {
        return step % spec.evalEvery() == 0;
    }

    /**
     * A finished job whose newest checkpoint holds its last step needs its model no more: the model and
     * the optimizer give their memory back (on a device backend, room for the next job). Its status stays.
     */
    synchronized void releaseIfDone() {
        if (state != State.RUNNING && checkpointedStep == step) close();
    }

    /** This replica no longer holds the job: the model and optimizer give their memory back, whatever its state. */
    synchronized void close() {
        if (released) return;
        released = true;
        optimizer.close();
        model.close();
    }

    /** Mean loss over the kept validation batches, and a greedy sample of the prompt, as the book evaluates. */
    synchronized void evaluate() {
        if (released) return;
        if (!evalSet.isEmpty()) {
            double sum = 0;
            for (TrainingBatch b : evalSet) {
                sum += model.forward(b.inputs(), b.targets(), b.documentStarts(), b.batchSize(), b.contextLength(), false, 0);
            }
            validationLoss = sum / evalSet.size();
        }
        if (sampleTokenizer != null && !spec.samplePrompt().isEmpty()) {
            int[] prompt = sampleTokenizer.encode(spec.samplePrompt());
            int ctx = model.config().contextLength();
            if (prompt.length > ctx - 1) prompt = Arrays.copyOfRange(prompt, prompt.length - (ctx - 1), prompt.length);
            int[] out = new Generator(model).generate(prompt, new SamplingParams(Math.min(16, ctx - prompt.length), 0, 0, 1, 0,
                    Set.of(Gpt2.END_OF_TEXT)), null);
            sample = spec.samplePrompt() + sampleTokenizer.decode(out);
        }
    }

    boolean finished() {
        return state != State.RUNNING;
    }

    /** Whether the job still holds its model and optimizer in memory. */
    boolean holdsModel() {
        return !released;
    }

    /** Fields read one by one without the lock: during a step they may be a step apart, never blocked. */
    JobStatus status() {
        Double eta = spec.maxSteps() > 0 && !Double.isNaN(tokensPerSecond) && state == State.RUNNING && step > 0
                ? (spec.maxSteps() - step) * ((double) tokens / step) / tokensPerSecond : null;
        return new JobStatus(spec.id(), spec.dataset(), state, step, epoch, tokens, orNull(loss),
                orNull(validationLoss), Double.isNaN(validationLoss) ? null : Math.exp(validationLoss), orNull(learningRate),
                orNull(tokensPerSecond), eta, sample, lastCheckpoint, checkpointError, error, !released, spec);
    }

    private static Double orNull(double d) {
        return Double.isNaN(d) ? null : d;
    }
}
