package dev.llmsuite.services.trainer;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import dev.llmsuite.records.TrainingBatch;

/**
 * One dataset's run: a GPT, its AdamW state and its counters. Steps run one at a time (synchronized):
 * the model's activation buffers are shared by forward and backward.
 */
final class DatasetTraining {
    final String dataset;
    final String vocabularyHash;
    final GptModel model;
    private final AdamW optimizer;
    private final TrainerConfig.Model settings;
    long steps;
    long tokens;
    double lastLoss = Double.NaN;
    double lastValidationLoss = Double.NaN;
    String lastCheckpoint;
    /** The step the newest checkpoint holds (0: none yet). */
    long checkpointedStep;
    /** When the last training batch arrived, for the idle checkpoint. */
    volatile long lastBatchNanos = System.nanoTime();

    DatasetTraining(String dataset, String vocabularyHash, ComputeBackend backend, TrainerConfig.Model m) {
        this.dataset = dataset;
        this.vocabularyHash = vocabularyHash;
        this.settings = m;
        GptConfig cfg = new GptConfig(m.vocabSize(), m.contextLength(), m.embeddingDim(), m.heads(), m.layers(),
                m.dropRate(), false, true);
        this.model = new GptModel(backend, cfg);
        model.initialize(m.seed());
        this.optimizer = new AdamW(model, new AdamW.Settings(0.9f, 0.999f, 1e-8f, m.weightDecay()));
    }

    /** Checks that a batch fits this model, so a bad one is dead-lettered rather than half-trained. */
    void requireFits(TrainingBatch b) {
        if (b.contextLength() > model.config().contextLength()) {
            throw new IllegalArgumentException("batch context " + b.contextLength() + " exceeds the model's "
                    + model.config().contextLength());
        }
        for (int id : b.inputs()) {
            if (id < 0 || id >= model.config().vocabSize()) throw new IllegalArgumentException("input id " + id + " outside the vocabulary");
        }
        for (int id : b.targets()) {
            if (id != TrainingBatch.IGNORE_INDEX && (id < 0 || id >= model.config().vocabSize())) {
                throw new IllegalArgumentException("target id " + id + " outside the vocabulary");
            }
        }
    }

    /** One optimizer step on the batch; returns the batch's loss before the update. */
    synchronized double train(TrainingBatch b) {
        double loss = model.forward(b.inputs(), b.targets(), b.batchSize(), b.contextLength(), true, steps);
        model.zeroGradients();
        model.backward(1f);
        AdamW.clipGradientNorm(model, settings.gradientClip());
        optimizer.step(settings.learningRate());
        steps++;
        tokens += b.tokens();
        lastBatchNanos = System.nanoTime();
        lastLoss = loss;
        return loss;
    }

    synchronized double evaluate(TrainingBatch b) {
        double loss = model.forward(b.inputs(), b.targets(), b.batchSize(), b.contextLength(), false, 0);
        lastValidationLoss = loss;
        return loss;
    }

    synchronized TrainingStatus status() {
        return new TrainingStatus(dataset, vocabularyHash, steps, tokens, lastLoss, lastValidationLoss, lastCheckpoint);
    }
}
