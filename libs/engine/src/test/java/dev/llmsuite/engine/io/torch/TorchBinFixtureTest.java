package dev.llmsuite.engine.io.torch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.ReferenceLogits;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * pytorch_model.bin files written by torch.save (fixtures/make_torch_bin_fixture.py) in the zip layout, the legacy
 * layout (as the original GPT-2 upload) and in float16, read through the restricted unpickler: a Hugging Face
 * directory with them loads with logits equal to PyTorch's to 1e-4 relative, tied head and qkv bias recognized.
 */
class TorchBinFixtureTest {

    @ParameterizedTest
    @CsvSource({"zip,fp32", "legacy,fp32", "zip-fp16,fp16"})
    void loadsWithPyTorchsLogits(String layout, String precision) throws Exception {
        Path root = Path.of(getClass().getResource("/fixtures/torch-bin").toURI());
        Map<?, ?> expected = (Map<?, ?>) Json.parse(Files.readString(root.resolve("logits.json"), StandardCharsets.UTF_8));
        List<?> rows = (List<?>) expected.get(precision);
        try (CpuBackend be = new CpuBackend(2); GptModel model = HfCheckpoint.load(be, root.resolve(layout))) {
            assertTrue(model.config().tiedOutputHead() && model.config().qkvBias(), model.config().toString());
            ReferenceLogits.assertMatch(model, (List<?>) expected.get("ids"), rows, layout);
        }
    }
}
