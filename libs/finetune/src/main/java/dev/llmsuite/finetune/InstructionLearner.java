package dev.llmsuite.finetune;

/**
 * What instruction fine-tuning ({@link InstructionTraining}, {@link InstructionRun}) needs of a model: its tokens,
 * one optimizer step on a collated batch, a batch's loss, and greedy answers. Two implementations: {@link GptLearner}
 * (GPT-2, every weight trained: the book's chapter 7) and {@link LlamaLearner} (Llama 3 / Qwen3, LoRA adapters on a
 * frozen base).
 */
public interface InstructionLearner {
    /** The longest sequence the model takes. */
    int contextLength();

    /** The token each example ends with and batches are padded with. */
    int endOfText();

    /** A text's ids as the model reads a sequence (with its BOS first, if it uses one). */
    int[] encode(String text);

    String decode(int[] ids);

    /** Forward, backward, gradients clipped to norm 1, one AdamW step at learningRate; the batch's mean loss. */
    double trainStep(InstructionCollate.Batch batch, int step, double learningRate);

    /** The batch's mean loss, nothing updated. */
    double loss(InstructionCollate.Batch batch);

    /** The greedy continuation of prompt, at most maxNewTokens, ending before the end-of-text token. */
    int[] complete(int[] prompt, int maxNewTokens);

    /** A line for the progress log. */
    String description();
}
