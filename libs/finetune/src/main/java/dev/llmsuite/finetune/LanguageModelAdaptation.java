package dev.llmsuite.finetune;

import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Task-adaptive pre-training (ULMFiT's second stage; Gururangan et al., "Don't Stop Pretraining"): before
 * a classifier is fine-tuned, the whole base keeps pre-training, with the ordinary next-token loss, on the
 * training split's texts alone: no labels, never a validation or test text. A base pre-trained on other
 * prose has never seen the task's words (SMS abbreviations, stemmed forms), and the book's partial
 * unfreezing and LoRA freeze exactly the embeddings that would have to learn them.
 */
public final class LanguageModelAdaptation {
    public record Settings(int epochs, int batchSize, double learningRate, double weightDecay, long seed) {}

    public record Report(double firstLoss, double lastEpochLoss, int steps, double seconds) {}

    private LanguageModelAdaptation() {}

    /** Trains every parameter of model on texts (token ids; cut to the context), a batch padded to its longest text. */
    public static Report adapt(GptModel model, List<int[]> texts, Settings s, Consumer<String> progress) {
        if (texts.isEmpty()) throw new IllegalArgumentException("no texts to adapt the base to");
        long t0 = System.nanoTime();
        int max = model.config().contextLength();
        List<int[]> order = new ArrayList<>(texts);
        Random rnd = new Random(s.seed());
        int perEpoch = (texts.size() + s.batchSize() - 1) / s.batchSize(), total = perEpoch * s.epochs(), step = 0;
        double first = Double.NaN, epochLoss = Double.NaN;
        model.setTrainable(n -> true);
        AdamW opt = new AdamW(model, new AdamW.Settings(0.9f, 0.999f, 1e-8f, (float) s.weightDecay()));
        try {
            for (int epoch = 0; epoch < s.epochs(); epoch++) {
                Collections.shuffle(order, rnd);
                double sum = 0;
                for (int from = 0; from < order.size(); from += s.batchSize()) {
                    Batch b = Batch.of(order.subList(from, Math.min(order.size(), from + s.batchSize())), max);
                    double loss = LanguageModelStep.run(model, opt, b.inputs(), b.targets(), b.size(), b.length(), step, s.learningRate());
                    if (step == 0) first = loss;
                    sum += loss;
                    step++;
                    if (step % 50 == 0 || step == total) {
                        double elapsed = (System.nanoTime() - t0) / 1e9;
                        progress.accept(String.format("adapting: step %d/%d epoch %d loss %.3f | %.0f s, ETA %.0f s", step, total,
                                epoch + 1, loss, elapsed, elapsed / step * (total - step)));
                    }
                }
                epochLoss = sum / perEpoch;
                progress.accept(String.format("adapting: epoch %d mean loss %.3f", epoch + 1, epochLoss));
            }
        } finally {
            opt.close(); // the moments are this stage's alone: the classifier starts its own optimizer
        }
        return new Report(first, epochLoss, step, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Texts padded to the batch's longest (cut to the context) with token 0, which no target names: each
     * position's target is the text's next token, and -100 (ignored) past its last.
     */
    record Batch(int[] inputs, int[] targets, int size, int length) {
        static Batch of(List<int[]> texts, int context) {
            int t = 1;
            for (int[] ids : texts) t = Math.max(t, Math.min(context, ids.length));
            int[] inputs = new int[texts.size() * t], targets = new int[texts.size() * t];
            Arrays.fill(targets, -100);
            for (int i = 0; i < texts.size(); i++) {
                int[] ids = texts.get(i);
                int n = Math.min(t, ids.length);
                System.arraycopy(ids, 0, inputs, i * t, n);
                for (int j = 0; j + 1 < n; j++) targets[i * t + j] = ids[j + 1];
            }
            return new Batch(inputs, targets, texts.size(), t);
        }
    }
}
