package dev.llmsuite.engine.io.tf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.ReferenceLogits;
import dev.llmsuite.engine.io.ModelFiles;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TensorFlow checkpoints: one written by TensorFlow itself (TensorFlow Serving's half_plus_two, see its PROVENANCE.md)
 * read to its known values, and GPT-2s saved as OpenAI released GPT-2 (fixtures/make_tf_checkpoint_fixture.py, whose
 * writer reproduces half_plus_two byte for byte) loading with logits equal to PyTorch's to 1e-4 relative.
 */
class TfCheckpointFixtureTest {
    static Path fixtures() throws Exception {
        return Path.of(TfCheckpointFixtureTest.class.getResource("/fixtures/tf-checkpoint").toURI());
    }

    @Test
    void readsACheckpointTensorFlowWrote() throws Exception {
        try (TensorBundle b = TensorBundle.open(fixtures().resolve("half_plus_two/variables"))) {
            assertEquals(List.of("Variable", "Variable_1"), List.copyOf(b.shapes().keySet()));
            assertArrayEquals(new long[0], b.shapes().get("Variable"), "a scalar");
            assertEquals(BundleEntry.DT_FLOAT, b.dtype("Variable"));
            assertArrayEquals(new float[] {0.5f}, b.floats("Variable"), "a in y = a·x + b");
            assertArrayEquals(new float[] {2.0f}, b.floats("Variable_1"), "b");
        }
    }

    @ParameterizedTest
    @CsvSource({"gpt2,fp32", "gpt2-fp16-2shards,fp16"})
    void loadsOpenAisLayoutWithPyTorchsLogits(String name, String precision) throws Exception {
        Path root = fixtures();
        Map<?, ?> expected = (Map<?, ?>) Json.parse(Files.readString(root.resolve("logits.json"), StandardCharsets.UTF_8));
        List<?> rows = (List<?>) expected.get(precision);
        assertEquals(ModelFiles.Format.TF, ModelFiles.detect(root.resolve(name)));
        try (CpuBackend be = new CpuBackend(2); GptModel model = ModelFiles.load(be, root.resolve(name))) {
            assertTrue(model.config().tiedOutputHead() && model.config().qkvBias(), model.config().toString());
            ReferenceLogits.assertMatch(model, (List<?>) expected.get("ids"), rows, name);
        }
    }

    @Test
    void findsTheCheckpointWithoutItsPointerFile() throws Exception {
        Path dir = Files.createTempDirectory("tf-no-pointer");
        for (String f : List.of("hparams.json", "model.ckpt.index", "model.ckpt.data-00000-of-00001")) {
            Files.copy(fixtures().resolve("gpt2").resolve(f), dir.resolve(f));
        }
        assertEquals(dir.resolve("model.ckpt"), OpenAiCheckpoint.prefix(dir), "the directory's only index");
    }
}
