package dev.llmsuite.services.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

/** trainer-service settings, under {@code llm.trainer.*}. */
@ConfigMapping(prefix = "llm.trainer")
public interface TrainerConfig {

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
    java.time.Duration idleCheckpointAfter();

    /** Threads for the GPT engine (0 = all cores). */
    @WithDefault("0")
    int threads();

    Model model();

    /** The GPT each dataset trains, and its optimizer (a small GPT-2-shaped model by default). */
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
    }
}
