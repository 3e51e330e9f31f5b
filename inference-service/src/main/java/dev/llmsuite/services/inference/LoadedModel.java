package dev.llmsuite.services.inference;

import dev.llmsuite.engine.generate.BatchDecoder;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.Embeddings;
import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.tokenizer.TextTokenizer;

/**
 * A checkpoint that passed its hash check and is being served. Its {@link BatchScheduler} owns the
 * model's decoder and decodes every request in flight together; a newer checkpoint replaces the whole record
 * (and closes this scheduler), so a request in flight finishes on the weights it started with.
 *
 * @param decoder    what decode steps run: GPT-2's {@link Decoder} (fp32 or 8-bit copies) or a Llama 3 / Qwen3 model
 * @param prompts    how prompts are written and encoded, and where answers end, or null when this service does not know
 *                   the vocabulary the model was trained on
 * @param classifier the classification head saved beside the model, or null (then it only generates)
 * @param weights    who decodes on the weights (this model's scheduler and adapter views on it)
 */
record LoadedModel(String name, CheckpointAnnouncement checkpoint, BatchDecoder<?> decoder, PromptFormat prompts,
                   long tokensSeen, long loadedAtMillis, BatchScheduler<?> scheduler, ClassifierFiles.Classifier classifier,
                   SharedWeights weights) {

    /** The model's tokenizer, or null when this service does not know it. */
    TextTokenizer tokenizer() {
        return prompts == null ? null : prompts.tokenizer();
    }

    /** The width of its embeddings: the model's hidden size. */
    int embeddingWidth() {
        return switch (decoder) {
            case Decoder d -> d.model().config().embeddingDim();
            case LlamaModel l -> l.config().hidden();
            default -> throw new IllegalStateException("no embeddings from " + decoder.getClass().getSimpleName());
        };
    }

    /**
     * The mean-pooled, unit-length embedding of ids ({@link Embeddings}); runs the model, so only on its decode thread
     * ({@link BatchScheduler#call}).
     */
    float[] embedding(int[] ids, int dimensions) {
        return switch (decoder) {
            case Decoder d -> Embeddings.of(d.model(), ids, dimensions);
            case LlamaModel l -> Embeddings.meanPooled(l.hiddenStates(ids), ids.length, l.config().hidden(), dimensions);
            default -> throw new IllegalStateException("no embeddings from " + decoder.getClass().getSimpleName());
        };
    }
}
