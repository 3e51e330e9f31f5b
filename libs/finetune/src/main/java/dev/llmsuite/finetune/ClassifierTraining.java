package dev.llmsuite.finetune;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.model.ClassifierHead;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import dev.llmsuite.engine.train.AdamW;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Fine-tuning a pre-trained GPT into a classifier, as the book's chapter 6 does: a new head on one token,
 * the rest frozen but for the last transformer block and the final LayerNorm (or LoRA adapters on every
 * linear layer instead, or everything), AdamW, a few epochs, accuracy on the train, validation and test
 * sets. The head reads each text's last real token: a text shorter than its batch is not judged by the
 * padding after it (the book, padding every text to one length, reads position T − 1).
 */
public final class ClassifierTraining {
    public enum Mode { LAST_BLOCK, LORA, ALL }

    /** keepBest: end with the trainable state of the epoch with the best validation accuracy (the earliest of ties). */
    public record Settings(Mode mode, int epochs, int batchSize, double learningRate, double weightDecay, int maxLength,
                           LoraAdapters.Settings lora, long seed, boolean keepBest) {}

    /** One labelled text as token ids. */
    public record Example(int[] ids, int label) {}

    /**
     * The outcome: accuracies, the test confusion matrix [true][predicted], the trainable count, the time,
     * the epoch whose state it is (the last, or the best on validation with keepBest), and the trained head
     * (and adapters, in LoRA mode: still attached to the model).
     */
    public record Report(double trainAccuracy, double validationAccuracy, double testAccuracy, int[][] confusion,
                         long trainableParameters, double seconds, int steps, ClassifierHead head, LoraAdapters adapters,
                         int epoch) {}

    private ClassifierTraining() {}

    /** Texts to examples: tokenized, cut to maxLength tokens (the beginning of each text is kept). */
    public static List<Example> encode(List<ClassificationExample> data, List<String> labels, Function<String, int[]> tokenizer,
                                       int maxLength) {
        List<Example> out = new ArrayList<>();
        for (ClassificationExample e : data) {
            int label = labels.indexOf(e.label());
            if (label < 0) throw new IllegalArgumentException("label '" + e.label() + "' is not one of " + labels);
            int[] ids = tokenizer.apply(e.text());
            if (ids.length == 0) ids = new int[] {InstructionCollate.END_OF_TEXT};
            out.add(new Example(ids.length > maxLength ? Arrays.copyOf(ids, maxLength) : ids, label));
        }
        return out;
    }

    public static Report run(GptModel model, int classes, List<Example> train, List<Example> validation, List<Example> test,
                             Settings s, Consumer<String> progress) {
        long t0 = System.nanoTime();
        ComputeBackend be = model.backend();
        int layers = model.config().layers();
        ClassifierHead head = new ClassifierHead(model, classes);
        head.initialize(s.seed());
        AdamW.Settings adamw = new AdamW.Settings(0.9f, 0.999f, 1e-8f, (float) s.weightDecay());
        List<AdamW> optimizers = new ArrayList<>();
        optimizers.add(new AdamW(be, head.parameters(), head.gradients(), head.specs(), adamw));
        long trainable = head.size();
        LoraAdapters lora = null;
        switch (s.mode()) {
            case LAST_BLOCK -> {
                String last = "h." + (layers - 1) + ".";
                model.setTrainable(n -> n.startsWith(last) || n.startsWith("ln_f."));
                AdamW trunk = AdamW.forModel(model, adamw, spec -> model.isTrainable(spec.name()));
                optimizers.add(trunk);
                trainable += trunk.specs().stream().mapToLong(sp -> sp.size()).sum();
            }
            case LORA -> {
                model.setTrainable(n -> false);
                lora = new LoraAdapters(be, model.config(), s.lora());
                lora.initialize(s.seed() + 1);
                model.attach(lora);
                optimizers.add(new AdamW(be, lora.parameters(), lora.gradients(), lora.layout().specs(), adamw));
                trainable += lora.parameterCount();
            }
            case ALL -> {
                model.setTrainable(n -> true);
                optimizers.add(new AdamW(model, adamw));
                trainable += model.layout().totalSize();
            }
        }
        // what training changes: the head, and the adapters or the model's parameters
        List<Tensor> trained = List.of(head.parameters(), lora != null ? lora.parameters() : model.parameters());
        BestState best = s.keepBest() ? new BestState(be, trained) : null;
        List<Example> order = new ArrayList<>(train);
        Random rnd = new Random(s.seed());
        int stepsPerEpoch = (train.size() + s.batchSize() - 1) / s.batchSize(), step = 0, total = stepsPerEpoch * s.epochs();
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            Collections.shuffle(order, rnd);
            double lossSum = 0;
            int correct = 0;
            for (int from = 0; from < order.size(); from += s.batchSize()) {
                List<Example> batch = order.subList(from, Math.min(order.size(), from + s.batchSize()));
                Batch b = Batch.of(batch, pad(head));
                ClassifierHead.Result r = head.forward(b.ids, batch.size(), b.t, b.positions, b.labels, true, step);
                model.zeroGradients();
                head.zeroGradients();
                if (lora != null) be.zero(lora.gradients());
                head.backward();
                for (AdamW o : optimizers) o.step((float) s.learningRate());
                lossSum += r.loss() * batch.size();
                correct += r.correct();
                step++;
                if (step % 50 == 0 || step == total) {
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    progress.accept(String.format("step %d/%d epoch %d loss %.4f train acc %.3f | %.0f s, ETA %.0f s", step, total,
                            epoch + 1, lossSum / (from + batch.size()), (double) correct / (from + batch.size()), elapsed,
                            elapsed / step * (total - step)));
                }
            }
            double validationAccuracy = evaluate(head, validation, s.batchSize(), classes).accuracy;
            progress.accept(String.format("epoch %d: train loss %.4f, validation accuracy %.4f", epoch + 1, lossSum / order.size(),
                    validationAccuracy));
            if (best != null) best.offer(validationAccuracy, epoch + 1);
        }
        int epochUsed = s.epochs();
        if (best != null) {
            epochUsed = best.restore(epochUsed);
            best.close();
            progress.accept("kept epoch " + epochUsed + ", the best on validation");
        }
        Eval tr = evaluate(head, train, s.batchSize(), classes), va = evaluate(head, validation, s.batchSize(), classes),
                te = evaluate(head, test, s.batchSize(), classes);
        return new Report(tr.accuracy, va.accuracy, te.accuracy, te.confusion, trainable, (System.nanoTime() - t0) / 1e9, step,
                head, lora, epochUsed);
    }

    /** A copy, on the backend, of the trained tensors at the best validation accuracy so far. */
    private static final class BestState {
        private final ComputeBackend be;
        private final List<Tensor> live, saved = new ArrayList<>();
        private double accuracy = Double.NEGATIVE_INFINITY;
        private int epoch;

        BestState(ComputeBackend be, List<Tensor> live) {
            this.be = be;
            this.live = live;
            for (Tensor t : live) saved.add(be.allocate(t.size()));
        }

        void offer(double validationAccuracy, int epoch) {
            if (!(validationAccuracy > accuracy)) return; // not better (or NaN: no validation set)
            for (int i = 0; i < live.size(); i++) be.copy(saved.get(i), live.get(i));
            accuracy = validationAccuracy;
            this.epoch = epoch;
        }

        /** Puts the best state back; returns its epoch (lastEpoch when nothing was offered). */
        int restore(int lastEpoch) {
            if (epoch == 0) return lastEpoch;
            for (int i = 0; i < live.size(); i++) be.copy(live.get(i), saved.get(i));
            return epoch;
        }

        void close() {
            for (Tensor t : saved) be.release(t);
        }
    }

    /**
     * Class probabilities for texts (token ids, each within the model's context), in one batch padded to
     * the longest, each read at its own last token: how a served classifier answers.
     */
    public static double[][] probabilities(ClassifierHead head, List<int[]> texts) {
        List<Example> batch = new ArrayList<>();
        for (int[] ids : texts) batch.add(new Example(ids, 0));
        Batch b = Batch.of(batch, pad(head));
        head.forward(b.ids, batch.size(), b.t, b.positions, null, false, 0);
        return head.probabilities();
    }

    private record Eval(double accuracy, int[][] confusion) {}

    private static Eval evaluate(ClassifierHead head, List<Example> data, int batchSize, int classes) {
        int[][] confusion = new int[classes][classes];
        int correct = 0;
        for (int from = 0; from < data.size(); from += batchSize) {
            List<Example> batch = data.subList(from, Math.min(data.size(), from + batchSize));
            Batch b = Batch.of(batch, pad(head));
            ClassifierHead.Result r = head.forward(b.ids, batch.size(), b.t, b.positions, b.labels, false, 0);
            for (int i = 0; i < batch.size(); i++) confusion[b.labels[i]][r.predictions()[i]]++;
            correct += r.correct();
        }
        return new Eval(data.isEmpty() ? Double.NaN : (double) correct / data.size(), confusion);
    }

    /** GPT-2's end-of-text where the vocabulary has it; any id does, as the head reads before the padding. */
    private static int pad(ClassifierHead head) {
        return head.vocabSize() > InstructionCollate.END_OF_TEXT ? InstructionCollate.END_OF_TEXT : 0;
    }

    /** A batch padded to its longest text, with each text's last real position. */
    private record Batch(int[] ids, int t, int[] positions, int[] labels) {
        static Batch of(List<Example> batch, int pad) {
            int t = 0;
            for (Example e : batch) t = Math.max(t, e.ids().length);
            int[] ids = new int[batch.size() * t], positions = new int[batch.size()], labels = new int[batch.size()];
            Arrays.fill(ids, pad);
            for (int i = 0; i < batch.size(); i++) {
                System.arraycopy(batch.get(i).ids(), 0, ids, i * t, batch.get(i).ids().length);
                positions[i] = batch.get(i).ids().length - 1;
                labels[i] = batch.get(i).label();
            }
            return new Batch(ids, t, positions, labels);
        }
    }
}
