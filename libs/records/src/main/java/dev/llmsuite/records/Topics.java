package dev.llmsuite.records;

import java.util.List;

/** Every Kafka topic the suite uses, in data-flow order. Deployments create exactly these. */
public final class Topics {
    private Topics() {}

    /** Raw documents to tokenize: {@link DocumentRecord}, keyed by dataset/document. */
    public static final String DOCUMENTS = "corpus.documents";
    /** Token chunks: {@link TokenChunk}, keyed by dataset, so a dataset stays on one partition (and its documents in order). */
    public static final String TOKENS = "corpus.tokens";
    /** Training batches: {@link TrainingBatch}. */
    public static final String TRAIN_BATCHES = "train.batches";
    /** Validation batches: {@link TrainingBatch}. */
    public static final String VAL_BATCHES = "val.batches";
    /** Per-step training metrics (JSON). */
    public static final String TRAINING_METRICS = "training.metrics";
    /** Checkpoint announcements (JSON): {@link CheckpointAnnouncement}. */
    public static final String CHECKPOINTS = "model.checkpoints";
    /** Checkpoint evaluations (JSON): {@link ModelEvaluation}, keyed by model. */
    public static final String EVALUATIONS = "model.evaluations";
    /** Promotions (JSON, compacted): {@link ModelPromotion}, keyed by model; the newest per model is served under its name. */
    public static final String PROMOTIONS = "model.promotions";
    /**
     * Fine-tuning data (JSON, keyed by dataset): labelled texts or Alpaca-style instructions, each
     * dataset closed by an end record with its count. The trainer rebuilds its datasets from it.
     */
    public static final String FINETUNE_EXAMPLES = "finetune.examples";
    /**
     * Sampling specs (JSON {@code SamplingSpec}, keyed by dataset; compacted), posted through sampler-service's API.
     * Partitioned as {@link #TOKENS} is, so a dataset's spec and its chunks reach the same sampler task.
     */
    public static final String SAMPLING_SPECS = "sampling.specs";

    /** Records a service could not process, with the reason in the {@code dead-letter-reason} header. */
    public static final String DOCUMENTS_DLQ = "corpus.documents.dlq";
    public static final String TOKENS_DLQ = "corpus.tokens.dlq";
    public static final String BATCHES_DLQ = "train.batches.dlq";
    public static final String FINETUNE_EXAMPLES_DLQ = "finetune.examples.dlq";
    /** Announcements inference-service refused: outside its checkpoint directory, unhashed, mismatched or unloadable. */
    public static final String CHECKPOINTS_DLQ = "model.checkpoints.dlq";
    /** Announcements the evaluator could not evaluate, and records the trainer's dashboard views could not read. */
    public static final String EVALUATIONS_DLQ = "model.evaluations.dlq";

    public static final List<String> ALL = List.of(
            DOCUMENTS, TOKENS, TRAIN_BATCHES, VAL_BATCHES, TRAINING_METRICS, CHECKPOINTS, EVALUATIONS, PROMOTIONS, FINETUNE_EXAMPLES, SAMPLING_SPECS,
            DOCUMENTS_DLQ, TOKENS_DLQ, BATCHES_DLQ, FINETUNE_EXAMPLES_DLQ, CHECKPOINTS_DLQ, EVALUATIONS_DLQ);
}
