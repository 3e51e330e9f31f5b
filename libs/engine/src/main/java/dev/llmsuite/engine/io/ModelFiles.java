package dev.llmsuite.engine.io;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.io.gguf.GgufCheckpoint;
import dev.llmsuite.engine.io.tf.OpenAiCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Every weight file a user may hand over, told apart by what it is rather than its name: a directory in the Hugging
 * Face layout (weights in model.safetensors or PyTorch's pytorch_model.bin; or a training job's directory, for its
 * newest step), OpenAI's GPT-2 release (hparams.json and a TensorFlow checkpoint), or a GGUF file. docs/models.md says
 * what each reader checks.
 */
public final class ModelFiles {
    /** The formats read here. */
    public enum Format { HF, TF, GGUF }

    private ModelFiles() {}

    /** What path holds, or an exception that says what was expected. */
    public static Format detect(Path path) throws IOException {
        if (Files.isDirectory(path)) return OpenAiCheckpoint.isOne(path) ? Format.TF : Format.HF;
        if (!Files.isRegularFile(path)) throw new IOException(path + " does not exist");
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            int n = in.readNBytes(head, 0, 4);
            if (n == 4 && Arrays.equals(head, new byte[] {'G', 'G', 'U', 'F'})) return Format.GGUF;
        }
        throw new IOException(path + " is neither a checkpoint directory (config.json + model.safetensors or pytorch_model.bin, or OpenAI's hparams.json + model.ckpt) nor a GGUF file");
    }

    /** Loads a model from any supported format onto the backend. */
    public static GptModel load(ComputeBackend backend, Path path) throws IOException {
        return switch (detect(path)) {
            case HF -> {
                if (LlamaCheckpoint.isOne(path)) {
                    throw new IOException(path + " holds a " + LlamaCheckpoint.readConfig(path).architecture().hfName + " model: ./llm generate runs "
                            + "it (model/llama); the other commands and the services take GPT-2 models so far (docs/models.md)");
                }
                yield HfCheckpoint.load(backend, HfCheckpoint.newestIn(path));
            }
            case TF -> OpenAiCheckpoint.load(backend, path);
            case GGUF -> GgufCheckpoint.load(backend, path);
        };
    }
}
