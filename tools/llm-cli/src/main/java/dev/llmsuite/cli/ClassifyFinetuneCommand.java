package dev.llmsuite.cli;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.finetune.ClassificationData;
import dev.llmsuite.finetune.ClassificationExample;
import dev.llmsuite.finetune.ClassificationRun;
import dev.llmsuite.finetune.ClassifierTraining;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine;

/**
 * {@code ./llm finetune-classifier}: the book's chapter 6 on this machine: a checkpoint this suite
 * pre-trained, a labelled data set (balanced, split 70/10/20), a classification head, and the last block
 * (or LoRA adapters, or everything) trained; prints progress, the accuracies and the confusion matrix.
 */
@Command(name = "finetune-classifier", mixinStandardHelpOptions = true,
        description = "Fine-tune a checkpoint into a classifier (the book's chapter 6) and report its accuracy.")
final class ClassifyFinetuneCommand implements Callable<Integer> {
    @Option(names = "--base", required = true, description = "checkpoint directory (Hugging Face GPT-2 layout), or a training job's directory: its newest step") Path base;
    @Option(names = "--data", required = true, description = "TSV, CSV or JSON lines (.gz too) with label and text") Path data;
    @Option(names = "--email", description = "the texts are raw e-mails: clean them first (docs/api.md says what is kept)") boolean email;
    @Option(names = "--mode", defaultValue = "last_block", description = "last_block (the book), lora, or all") String mode;
    @Option(names = "--epochs", defaultValue = "5") int epochs;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--lr", defaultValue = "5e-5") double lr;
    @Option(names = "--weight-decay", defaultValue = "0.1") double weightDecay;
    @Option(names = "--max-length", defaultValue = "256", description = "tokens kept of each text (its beginning)") int maxLength;
    @Option(names = "--lora-rank", defaultValue = "16") int loraRank;
    @Option(names = "--lora-alpha", defaultValue = "16") double loraAlpha;
    @Option(names = "--adapt-epochs", defaultValue = "0", description = "first pre-train the whole base this many epochs "
            + "on the training split's texts (next-token loss, no labels): task-adaptive pre-training") int adaptEpochs;
    @Option(names = "--adapt-lr", defaultValue = "5e-4", description = "learning rate of that pre-training (default ${DEFAULT-VALUE})") double adaptLr;
    @Option(names = "--adapt-left-out", description = "also adapt on the texts the balancing left out of every split (their labels "
            + "unused; any text equal to a validation or test text skipped)") boolean adaptLeftOut;
    @Option(names = "--save-adapted", description = "write the adapted base here (a checkpoint; later runs can start from it "
            + "with --adapt-epochs 0)") Path saveAdapted;
    @Option(names = "--keep-best", description = "end with the epoch that was best on the validation split (early stopping)") boolean keepBest;
    @Option(names = "--threads", defaultValue = "0", description = "0: all cores") int threads;
    @Option(names = "--seed", defaultValue = "123") long seed;
    @Option(names = "--out", description = "write the classifier here: the model (LoRA merged in; the adapters also apart, "
            + "under adapter/) and classifier.safetensors, servable by ./llm serve and POST /v1/classify") Path out;

    @Override
    public Integer call() throws Exception {
        if (adaptEpochs < 0 || adaptLr <= 0 || adaptLr >= 1 || (adaptEpochs == 0 && (adaptLeftOut || saveAdapted != null))) {
            throw new ParameterException(new CommandLine(this),
                    "--adapt-epochs must be 0 or more, --adapt-lr in (0, 1); --adapt-left-out and --save-adapted need --adapt-epochs");
        }
        long t0 = System.nanoTime();
        List<ClassificationExample> raw = ClassificationData.read(data);
        BpeTokenizer gpt2 = new BpeTokenizer(Encodings.gpt2());
        try (ComputeBackend be = threads > 0 ? new CpuBackend(threads) : CpuBackend.allCores()) {
            GptModel model = HfCheckpoint.load(be, HfCheckpoint.newestIn(base));
            System.out.println(data.getFileName() + ", base " + base.getFileName() + ":");
            var settings = new ClassificationRun.Settings(email, ClassifierTraining.Mode.valueOf(mode.toUpperCase()), epochs, batch, lr,
                    weightDecay, maxLength, loraRank, loraAlpha, adaptEpochs, adaptLr, adaptLeftOut, keepBest, seed);
            ClassificationRun.Outcome outcome = ClassificationRun.run(model, raw, settings, gpt2::encodeOrdinary, System.out::println,
                    saveAdapted == null ? null : adapted -> {
                        try {
                            HfCheckpoint.save(adapted, saveAdapted);
                            System.out.println("adapted base written to " + saveAdapted);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
            ClassificationRun.Result r = outcome.result();
            System.out.printf("trainable parameters: %,d of %,d in the base (%.1fx fewer)%n", r.trainableParameters(),
                    model.layout().totalSize(), (double) model.layout().totalSize() / r.trainableParameters());
            System.out.println("test confusion matrix (rows: true, columns: predicted) " + r.labels() + ":");
            for (int i = 0; i < r.labels().size(); i++) System.out.printf("  %-8s %s%n", r.labels().get(i), Arrays.toString(r.confusion()[i]));
            System.out.printf("whole run %.0f s%n", (System.nanoTime() - t0) / 1e9);
            if (out != null) {
                outcome.save(model, out, out.resolve("adapter"));
                System.out.println("classifier written to " + out + " (serve it: ./llm serve --model " + out + ", then POST /v1/classify)");
            }
        }
        return 0;
    }
}
