package dev.llmsuite.engine.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.ReferenceLogits;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.Json;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GGUF files written by llama.cpp's own library (gguf-py, fixtures/make_gguf_fixture.py): the suite reads each into a
 * model whose logits equal an independent PyTorch GPT-2's on the same weights to 1e-4 relative, and its encoder writes
 * gguf-py's bytes for every tensor (f16, bf16, and q8_0 to the bit of ggml's reference quantizer).
 */
class GgufFixtureTest {

    static Path fixture(String name) throws Exception {
        return Path.of(GgufFixtureTest.class.getResource("/fixtures/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16", "bf16", "q8_0"})
    void readsLlamaCppFilesWithPyTorchsLogits(String type) throws Exception {
        Map<?, ?> expected = (Map<?, ?>) Json.parse(Files.readString(fixture("gguf-tiny-gpt2-logits.json"), StandardCharsets.UTF_8));
        List<?> rows = (List<?>) ((Map<?, ?>) expected.get("logits")).get(type);
        try (CpuBackend be = new CpuBackend(2); GptModel model = GgufCheckpoint.load(be, fixture("gguf-tiny-gpt2-" + type + ".gguf"))) {
            assertTrue(model.config().tiedOutputHead(), "output.weight equals token_embd.weight: read back tied");
            assertTrue(model.config().qkvBias());
            ReferenceLogits.assertMatch(model, (List<?>) expected.get("ids"), rows, type);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "bf16", "q8_0"})
    void encodesEveryTensorToGgufPysBytes(String type) throws Exception {
        try (GgufFile quantized = GgufFile.open(fixture("gguf-tiny-gpt2-" + type + ".gguf"));
                GgufFile f32 = GgufFile.open(fixture("gguf-tiny-gpt2-f32.gguf"))) {
            int checked = 0;
            for (GgufFile.TensorInfo t : quantized.tensors().values()) {
                float[] original = f32.floats(t.name());
                ByteBuffer ours = ByteBuffer.allocate((int) t.type().bytes(original.length)).order(ByteOrder.LITTLE_ENDIAN);
                t.type().encode(original, 0, original.length, ours);
                assertArrayEquals(rawBytes(quantized, t), ours.array(), t.name() + " as " + t.type().label());
                if (t.type() != GgmlType.F32) checked++;
            }
            assertEquals(2 + 4 * 2, checked, "token_embd, output and four matrices per block are " + type);
        }
    }

    /** A tensor's bytes as the file holds them. */
    static byte[] rawBytes(GgufFile f, GgufFile.TensorInfo t) throws Exception {
        try (FileChannel ch = FileChannel.open(f.path())) {
            ByteBuffer b = ByteBuffer.allocate((int) t.type().bytes(t.elements()));
            ch.read(b, f.dataStart() + t.offset());
            return b.array();
        }
    }
}
