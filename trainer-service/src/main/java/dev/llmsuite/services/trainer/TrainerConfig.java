package dev.llmsuite.services.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** trainer-service settings, under {@code llm.trainer.*}. */
@ConfigMapping(prefix = "llm.trainer")
public interface TrainerConfig {

    /**
     * Where the other trainer replicas reach this one's HTTP API (they forward job requests for the datasets it
     * owns). It travels in the batch consumer's client id, so the consumer group is the replicas' directory. In
     * Kubernetes: the pod's address (deploy/ sets it from status.podIP).
     */
    @WithDefault("http://127.0.0.1:${quarkus.http.port}")
    String advertisedUrl();

    /** Where checkpoints are written; inference-service reads the same directory (a shared volume). */
    @WithDefault("work/checkpoints")
    Path checkpointDir();

    /** A checkpoint after every this many training batches of a dataset. */
    @WithDefault("10")
    int checkpointEveryBatches();

    /**
     * A run that has trained steps since its last checkpoint and then gets no batch for this long is
     * checkpointed anyway, so the end of the data always has a checkpoint. On shutdown (SIGTERM) every
     * such run is checkpointed before the service stops.
     */
    @WithDefault("10s")
    Duration idleCheckpointAfter();

    /**
     * Step directories kept per job; older ones are deleted after a newer one is written (each holds the
     * model and twice its size in optimizer state).
     */
    @WithDefault("3")
    int keepCheckpoints();

    /** How long a SIGTERM may spend writing the final checkpoints (keep under the pod's termination grace). */
    @WithDefault("25s")
    Duration shutdownGrace();

    /** Threads for the GPT engine (0 = all cores). */
    @WithDefault("0")
    int threads();

    /**
     * A dataset whose batches arrive with no job starts one with the defaults below (its id is the
     * dataset's). Off: such batches are skipped (counted in llm.trainer.batches.unclaimed).
     */
    @WithDefault("true")
    boolean autoJobs();

    /**
     * Most memory one job's model may take for its weights, gradients and AdamW's moments (16 bytes a
     * parameter); a job over it is refused (400, or a dead letter for an auto-job's batch). Unset: half the heap.
     */
    @WithName("max-job-bytes")
    Optional<Long> maxJobBytesSetting();

    default long maxJobBytes() {
        return maxJobBytesSetting().orElse(Runtime.getRuntime().maxMemory() / 2);
    }

    /**
     * Most memory the models of all jobs this replica holds may take together (the same 16 bytes a parameter): a
     * job that would go over it is refused (503, or a dead letter for an auto-job's batch), so two jobs that each fit
     * {@link #maxJobBytes} cannot together exhaust the heap. Unset: three quarters of the heap.
     */
    @WithName("max-resident-bytes")
    Optional<Long> maxResidentBytesSetting();

    default long maxResidentBytes() {
        return maxResidentBytesSetting().orElse(Runtime.getRuntime().maxMemory() / 4 * 3);
    }

    Model model();

    Finetune finetune();

    Promotion promotion();

    /** The promotion policy of jobs that do not choose one (and of fine-tuning jobs). */
    interface Promotion {
        /** auto: the evaluator promotes by validation perplexity; manual: only POST /v1/models/{model}/promotions does. */
        @WithDefault("auto")
        PromotionPolicy.Mode mode();

        /** How much lower (in percent) a checkpoint's validation perplexity must be than the promoted one's. */
        @WithDefault("0")
        double minImprovementPercent();
    }

    /** Limits on fine-tuning data arriving on finetune.examples; a record over them is dead-lettered. */
    interface Finetune {
        /** Examples one dataset may hold. */
        @WithDefault("200000")
        int maxExamples();

        /** Characters of one text (a classification text, or an instruction, input or output). */
        @WithDefault("100000")
        int maxTextChars();

        /**
         * Characters of every example held, all datasets together (the topic is read from its start at every boot).
         * Beyond it the oldest closed datasets are let go (a job asking for one fails, saying so); when the datasets
         * still arriving fill it alone, an example is dead-lettered.
         */
        @WithDefault("268435456")
        long maxHeldChars();

        /** The bearer token sent to a judge endpoint (env LLM_TRAINER_FINETUNE_JUDGE_API_KEY), if it needs one. */
        Optional<String> judgeApiKey();

        /**
         * The hosts ("host" or "host:port") a job's judgeUrl may name; the judge key and the test split go only
         * there. Unset: no job may name a judge. Loopback, link-local and private addresses only when listed.
         */
        Optional<List<String>> judgeHosts();
    }

    /** A job's defaults: the GPT it trains (a small GPT-2-shaped model), its optimizer and schedule. */
    interface Model {
        @WithDefault("50257")
        int vocabSize();

        @WithDefault("256")
        int contextLength();

        @WithDefault("128")
        int embeddingDim();

        @WithDefault("4")
        int heads();

        @WithDefault("2")
        int layers();

        @WithDefault("0.0")
        double dropRate();

        @WithDefault("0.001")
        float learningRate();

        @WithDefault("0.1")
        float weightDecay();

        /** Global gradient-norm clip. */
        @WithDefault("1.0")
        double gradientClip();

        @WithDefault("123")
        long seed();

        /** Linear warm-up steps before cosine decay to min-learning-rate (which defaults to no decay). */
        @WithDefault("0")
        int warmupSteps();

        /** 0: no step limit. */
        @WithDefault("0")
        long maxSteps();

        @WithDefault("50")
        int evalEvery();

        /** The newest validation batches kept for evaluation. */
        @WithDefault("4")
        int evalBatches();

        /** Completed greedily at each evaluation (GPT-2 vocabulary only), as the book prints a sample. */
        @WithDefault("Every effort moves you")
        String samplePrompt();
    }
}
