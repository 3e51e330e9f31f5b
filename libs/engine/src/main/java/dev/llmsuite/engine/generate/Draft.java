package dev.llmsuite.engine.generate;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.model.GptModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A speculative-decoding draft as {@code ./llm generate --draft} and {@code llm.inference.drafts} name it: {@code int8}
 * or {@code bf16} (the target's own weights, converted), or a model path (loaded here, closed with the draft).
 *
 * @param own     the draft's own model, or null for a self-draft
 * @param decoder what proposes the tokens
 * @param label   how a table names it
 */
public record Draft(GptModel own, Decoder decoder, String label) implements AutoCloseable {

    public static Draft open(ComputeBackend backend, GptModel target, String spec) throws IOException {
        if (spec.equals("int8") || spec.equals("bf16")) return new Draft(null, Decoder.of(target, ServingWeights.parse(spec)), "self, " + spec);
        Path path = Path.of(spec).toAbsolutePath().normalize();
        GptModel model = ModelFiles.load(backend, path);
        return new Draft(model, Decoder.fp32(model), path.getFileName().toString());
    }

    @Override
    public void close() {
        decoder.close();
        if (own != null) own.close();
    }
}
