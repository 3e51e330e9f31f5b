package dev.llmsuite.finetune;

import dev.llmsuite.engine.io.AdapterFiles;
import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.ClassifierHead;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The book's chapter 6 as one run, the same for {@code ./llm finetune-classifier} and trainer-service's
 * classification jobs: the labelled texts prepared ({@link PreparedClassification}: cleaned, balanced, split
 * 70/10/20, encoded), optionally task-adaptive pre-training of the whole base on the training texts
 * ({@link LanguageModelAdaptation}), then the classifier trained ({@link ClassifierTraining}: last block, LoRA or
 * everything). The {@link Outcome} holds the figures ({@link Result}) and the trained parts, and saves itself.
 */
public final class ClassificationRun {
    /** What to train: the CLI's options and a job spec's fields both come down to these. */
    public record Settings(boolean email, ClassifierTraining.Mode mode, int epochs, int batchSize, double learningRate, double weightDecay,
                           int maxLength, int loraRank, double loraAlpha, int adaptEpochs, double adaptLearningRate, boolean adaptLeftOut,
                           boolean keepBest, long seed) {}

    /** Task-adaptive pre-training's figures. */
    public record Adaptation(int epochs, int texts, int leftOutTexts, double firstLoss, double lastEpochLoss, int steps, double seconds) {}

    /**
     * The run's figures (what a job's status shows as its result): the classes, the split sizes (train, validation,
     * test), accuracies, the test confusion matrix [true][predicted], the trainable parameter count, the steps, the
     * epoch whose state it ended with, and the time; adaptation is null without task-adaptive pre-training.
     */
    public record Result(Adaptation adaptation, List<String> labels, List<Integer> split, double trainAccuracy, double validationAccuracy,
                         double testAccuracy, int[][] confusion, long trainableParameters, int steps, int epoch, double seconds)
            implements FinetuneResult {}

    /** The figures and the trained parts: the head, and in LoRA mode the adapters, still attached to the model. */
    public record Outcome(Result result, ClassifierHead head, LoraAdapters adapters) {
        /**
         * Writes the adapters apart to adapterDir (LoRA; skipped when null), merges them into the model, then writes the
         * model to checkpoint (Hugging Face layout) with the head beside it (classifier.safetensors), servable by
         * inference-service. Returns whether adapters were written.
         */
        public boolean save(GptModel model, Path checkpoint, Path adapterDir) throws IOException {
            boolean adapted = adapters != null && adapterDir != null;
            if (adapters != null) {
                // made for the weights they trained on (the adapted base, with adaptation), before they are merged
                if (adapted) AdapterFiles.save(adapters, model, adapterDir);
                model.attach(null);
                adapters.mergeInto(model);
            }
            HfCheckpoint.save(model, checkpoint);
            ClassifierFiles.save(head, result.labels(), model, checkpoint);
            return adapted;
        }
    }

    private ClassificationRun() {}

    /**
     * Trains a classifier from model (changed in place) on the labelled texts. progress gets the data's summary, every
     * progress line of adaptation and training, and the figures; adapted, when not null, sees the model right after
     * task-adaptive pre-training (the CLI writes it out there).
     */
    public static Outcome run(GptModel model, List<ClassificationExample> raw, Settings s, Function<String, int[]> encodeOrdinary,
                              Consumer<String> progress, Consumer<GptModel> adapted) {
        int max = Math.min(s.maxLength(), model.config().contextLength());
        PreparedClassification prepared = PreparedClassification.prepare(raw, s.email(), s.adaptLeftOut(), s.seed(), encodeOrdinary, max);
        List<String> labels = prepared.labels();
        progress.accept(String.format("%d texts, classes %s, balanced to %d, split %d/%d/%d; base %s; mode %s", prepared.texts(), labels,
                prepared.balanced(), prepared.train().size(), prepared.validation().size(), prepared.test().size(), model.config(),
                s.mode().name().toLowerCase()));
        Adaptation adaptation = null;
        if (s.adaptEpochs() > 0) {
            List<int[]> texts = prepared.adaptationTexts();
            var report = LanguageModelAdaptation.adapt(model, texts,
                    new LanguageModelAdaptation.Settings(s.adaptEpochs(), s.batchSize(), s.adaptLearningRate(), s.weightDecay(), s.seed()),
                    progress);
            adaptation = new Adaptation(s.adaptEpochs(), texts.size(), prepared.leftOut().size(), report.firstLoss(), report.lastEpochLoss(),
                    report.steps(), report.seconds());
            progress.accept(String.format("adapted the base to %d texts (%d the balancing left out): loss %.3f -> %.3f, %d steps, %.0f s",
                    texts.size(), prepared.leftOut().size(), report.firstLoss(), report.lastEpochLoss(), report.steps(), report.seconds()));
            if (adapted != null) adapted.accept(model);
        }
        var lora = new LoraAdapters.Settings(s.loraRank(), s.loraAlpha(), EnumSet.allOf(LoraAdapters.Target.class), Set.of());
        var report = ClassifierTraining.run(model, labels.size(), prepared.train(), prepared.validation(), prepared.test(),
                new ClassifierTraining.Settings(s.mode(), s.epochs(), s.batchSize(), s.learningRate(), s.weightDecay(), max, lora, s.seed(),
                        s.keepBest()), progress);
        Result result = new Result(adaptation, labels, List.of(prepared.train().size(), prepared.validation().size(), prepared.test().size()),
                report.trainAccuracy(), report.validationAccuracy(), report.testAccuracy(), report.confusion(), report.trainableParameters(),
                report.steps(), report.epoch(), report.seconds());
        progress.accept(String.format("accuracy: train %.2f%%, validation %.2f%%, test %.2f%%; %,d trainable parameters; %d steps,"
                        + " the model of epoch %d, %.0f s", 100 * result.trainAccuracy(), 100 * result.validationAccuracy(),
                100 * result.testAccuracy(), result.trainableParameters(), result.steps(), result.epoch(), result.seconds()));
        return new Outcome(result, report.head(), report.adapters());
    }
}
