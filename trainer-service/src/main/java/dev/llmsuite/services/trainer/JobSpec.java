package dev.llmsuite.services.trainer;

import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.records.Names;

/**
 * {@code POST /v1/jobs}: a pre-training job. Every field but {@code dataset} may be left out and then
 * takes the service's default ({@code llm.trainer.model.*}); {@link #resolve} fills them in, and the
 * resolved spec is what GET shows and what a checkpoint stores.
 *
 * @param preset      a named GPT configuration (gpt2-124m, small, tiny, …); explicit fields override it
 * @param maxSteps    stop after this many optimizer steps (0: no limit)
 * @param epochs      stop at the first batch of this epoch (0: no limit)
 * @param evalEvery   evaluate every this many steps on the newest {@code evalBatches} validation batches
 * @param promotion   how this model's checkpoints are promoted to be served under its name: by the policy (auto:
 *                    when validation perplexity improves by at least {@code promotionMinImprovement} percent) or
 *                    only by hand (manual)
 */
public record JobSpec(String id, String dataset, String preset, Integer contextLength, Integer embeddingDim, Integer heads,
                      Integer layers, Double dropRate, Double learningRate, Double minLearningRate, Integer warmupSteps,
                      Double weightDecay, Double gradientClip, Long maxSteps, Integer epochs, Integer evalEvery,
                      Integer evalBatches, Integer checkpointEvery, String samplePrompt, Long seed,
                      PromotionPolicy.Mode promotion, Double promotionMinImprovement) {

    /** Largest model dimensions a job may ask for, whatever memory the trainer has (the engine indexes tensors by int). */
    static final int MAX_CONTEXT = 1 << 16, MAX_EMBEDDING = 1 << 14, MAX_LAYERS = 512;

    /** An auto-job's spec: the dataset's name as its id, every other field from the defaults (resolve). */
    static JobSpec forDataset(String dataset) {
        return new JobSpec(dataset, dataset, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null);
    }

    /** The spec with every missing field taken from the defaults; checks ranges (IllegalArgumentException). */
    JobSpec resolve(TrainerConfig defaults) {
        if (dataset == null || dataset.isBlank()) throw new IllegalArgumentException("'dataset' is required");
        Names.require("dataset", dataset);
        TrainerConfig.Model d = defaults.model();
        GptConfig base = preset == null ? null : GptConfig.preset(preset);
        JobSpec r = new JobSpec(id == null || id.isBlank() ? dataset : id, dataset, preset,
                or(contextLength, base == null ? d.contextLength() : base.contextLength()),
                or(embeddingDim, base == null ? d.embeddingDim() : base.embeddingDim()),
                or(heads, base == null ? d.heads() : base.heads()),
                or(layers, base == null ? d.layers() : base.layers()),
                or(dropRate, base == null ? d.dropRate() : base.dropRate()),
                or(learningRate, (double) d.learningRate()),
                or(minLearningRate, or(learningRate, (double) d.learningRate())),
                or(warmupSteps, d.warmupSteps()), or(weightDecay, (double) d.weightDecay()), or(gradientClip, d.gradientClip()),
                or(maxSteps, d.maxSteps()), or(epochs, 0), or(evalEvery, d.evalEvery()), or(evalBatches, d.evalBatches()),
                or(checkpointEvery, defaults.checkpointEveryBatches()), samplePrompt == null ? d.samplePrompt() : samplePrompt,
                or(seed, d.seed()), or(promotion, defaults.promotion().mode()),
                or(promotionMinImprovement, defaults.promotion().minImprovementPercent()));
        r.check(defaults.model().vocabSize(), defaults.maxJobBytes());
        return r;
    }

    private void check(int vocabSize, long maxJobBytes) {
        JobDirectories.requireJobId("id", id);
        if (contextLength < 1 || embeddingDim < 1 || layers < 1 || heads < 1) throw new IllegalArgumentException("model sizes must be >= 1");
        if (contextLength > MAX_CONTEXT || embeddingDim > MAX_EMBEDDING || layers > MAX_LAYERS || heads > embeddingDim) {
            throw new IllegalArgumentException("model sizes: contextLength <= " + MAX_CONTEXT + ", embeddingDim <= " + MAX_EMBEDDING
                    + ", layers <= " + MAX_LAYERS + ", heads <= embeddingDim");
        }
        if (embeddingDim % heads != 0) throw new IllegalArgumentException("embeddingDim " + embeddingDim + " is not a multiple of heads " + heads);
        long bytes = trainingBytes(vocabSize);
        if (bytes > maxJobBytes) {
            throw new IllegalArgumentException("the model needs " + (bytes >> 20) + " MiB for its weights, gradients and AdamW's moments;"
                    + " a job may take " + (maxJobBytes >> 20) + " MiB (llm.trainer.max-job-bytes)");
        }
        if (!(learningRate > 0) || minLearningRate < 0 || minLearningRate > learningRate) {
            throw new IllegalArgumentException("need 0 <= minLearningRate <= learningRate, learningRate > 0");
        }
        if (warmupSteps < 0 || maxSteps < 0 || epochs < 0 || evalEvery < 1 || evalBatches < 0 || checkpointEvery < 1) {
            throw new IllegalArgumentException("warmupSteps, maxSteps, epochs, evalBatches >= 0; evalEvery, checkpointEvery >= 1");
        }
        if (maxSteps > 0 && warmupSteps > maxSteps) throw new IllegalArgumentException("warmupSteps exceeds maxSteps");
        if (dropRate < 0 || dropRate >= 1) throw new IllegalArgumentException("dropRate must be in [0, 1)");
        if (!(promotionMinImprovement >= 0 && promotionMinImprovement < 100)) {
            throw new IllegalArgumentException("promotionMinImprovement is a percentage in [0, 100)");
        }
    }

    /** How this job's checkpoints are promoted. */
    PromotionPolicy promotionPolicy() {
        return new PromotionPolicy(promotion, promotionMinImprovement);
    }

    /** Four fp32 copies of every parameter: weights, gradients and AdamW's two moments. */
    long trainingBytes(int vocabSize) {
        return 16L * modelConfig(vocabSize).parameterCount();
    }

    GptConfig modelConfig(int vocabSize) {
        return new GptConfig(vocabSize, contextLength, embeddingDim, heads, layers, dropRate, false, true);
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
