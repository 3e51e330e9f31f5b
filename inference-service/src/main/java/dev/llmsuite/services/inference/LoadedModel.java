package dev.llmsuite.services.inference;

import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.io.ClassifierFiles;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.tokenizer.BpeTokenizer;

/**
 * A checkpoint that passed its hash check and is being served. Its {@link BatchScheduler} owns the
 * model's decoder and decodes every request in flight together; a newer checkpoint replaces the whole record
 * (and closes this scheduler), so a request in flight finishes on the weights it started with.
 *
 * @param decoder   the model and the weights its decode steps read (fp32 or 8-bit copies)
 * @param tokenizer the vocabulary the model was trained on, or null when this service does not know it
 * @param classifier the classification head saved beside the model, or null (then it only generates)
 * @param weights    who decodes on the weights (this model's scheduler and adapter views on it)
 */
record LoadedModel(String name, CheckpointAnnouncement checkpoint, Decoder decoder, BpeTokenizer tokenizer,
                   long tokensSeen, long loadedAtMillis, BatchScheduler scheduler, ClassifierFiles.Classifier classifier,
                   SharedWeights weights) {

    GptModel model() { return decoder.model(); }
}
