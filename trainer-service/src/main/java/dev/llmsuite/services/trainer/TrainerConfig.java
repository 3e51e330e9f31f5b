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

    /** Vocabulary size assumed for smoothing until the model knows its vocabulary. */
    @WithDefault("50257")
    int vocabSize();
}
