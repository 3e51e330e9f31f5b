package dev.llmsuite.finetune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Instruction fine-tuning as the book's chapter 7 runs it: each example as prompt + response, batches
 * collated the book's way (padding to the batch's longest + 1, padding targets after the first masked
 * with -100, optional truncation and prompt masking), the language-model loss, the learner's AdamW step (every
 * parameter of a GPT-2; the LoRA adapters of a Llama / Qwen3: {@link InstructionLearner}); then the model's greedy
 * response to each test prompt.
 */
public final class InstructionTraining {
    public record Settings(int epochs, int batchSize, double learningRate, double weightDecay, int maxLength, boolean maskPrompt,
                           long seed) {}

    public record Report(double firstLoss, double lastTrainLoss, double validationLoss, int steps, double seconds) {}

    private InstructionTraining() {}

    /** The book's loop on a learner (its optimizer set up with s.weightDecay()). */
    public static Report train(InstructionLearner model, List<InstructionExample> train, List<InstructionExample> validation,
                               Settings s, Consumer<String> progress) {
        long t0 = System.nanoTime();
        int max = Math.min(s.maxLength(), model.contextLength());
        List<InstructionExample> order = new ArrayList<>(train);
        Random rnd = new Random(s.seed());
        int total = s.epochs() * ((train.size() + s.batchSize() - 1) / s.batchSize()), step = 0;
        double first = Double.NaN, last = Double.NaN;
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            Collections.shuffle(order, rnd);
            for (int from = 0; from < order.size(); from += s.batchSize()) {
                InstructionCollate.Batch b = collate(order.subList(from, Math.min(order.size(), from + s.batchSize())), model, max, s.maskPrompt());
                double loss = model.trainStep(b, step, s.learningRate());
                if (step == 0) first = loss;
                last = loss;
                step++;
                if (step % 20 == 0 || step == total) {
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    progress.accept(String.format("step %d/%d epoch %d loss %.3f | %.0f s, ETA %.0f s", step, total, epoch + 1, loss,
                            elapsed, elapsed / step * (total - step)));
                }
            }
        }
        double val = 0;
        int batches = 0;
        for (int from = 0; from < validation.size(); from += s.batchSize()) {
            InstructionCollate.Batch b = collate(validation.subList(from, Math.min(validation.size(), from + s.batchSize())), model, max, s.maskPrompt());
            val += model.loss(b);
            batches++;
        }
        return new Report(first, last, batches == 0 ? Double.NaN : val / batches, step, (System.nanoTime() - t0) / 1e9);
    }

    static InstructionCollate.Batch collate(List<InstructionExample> examples, InstructionLearner model, int max, boolean maskPrompt) {
        List<int[]> seqs = new ArrayList<>();
        int[] prompts = new int[examples.size()];
        for (int i = 0; i < examples.size(); i++) {
            seqs.add(model.encode(examples.get(i).text()));
            prompts[i] = model.encode(examples.get(i).prompt()).length;
        }
        return InstructionCollate.collate(seqs, max, maskPrompt ? prompts : null, model.endOfText());
    }

    /** The model's greedy response to an example's prompt, up to maxNewTokens, ending at end-of-text. */
    public static String respond(InstructionLearner model, InstructionExample e, int maxNewTokens) {
        int[] prompt = model.encode(e.prompt());
        int ctx = model.contextLength();
        if (prompt.length >= ctx) prompt = Arrays.copyOfRange(prompt, prompt.length - (ctx - 1), prompt.length);
        int room = Math.min(maxNewTokens, ctx - prompt.length);
        return model.decode(model.complete(prompt, room)).strip();
    }
}
