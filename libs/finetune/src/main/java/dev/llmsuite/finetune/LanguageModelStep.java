package dev.llmsuite.finetune;

import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;

/** One optimizer step on the next-token loss, as fine-tuning runs it: gradients clipped to norm 1. */
final class LanguageModelStep {
    private LanguageModelStep() {}

    /** Forward (training mode), backward, clip, AdamW at learningRate; returns the batch's loss. */
    static double run(GptModel model, AdamW optimizer, int[] inputs, int[] targets, int batchSize, int length, int step,
                      double learningRate) {
        double loss = model.forward(inputs, targets, batchSize, length, true, step);
        model.zeroGradients();
        model.backward(1f);
        AdamW.clipGradientNorm(model, 1.0);
        optimizer.step((float) learningRate);
        return loss;
    }
}
