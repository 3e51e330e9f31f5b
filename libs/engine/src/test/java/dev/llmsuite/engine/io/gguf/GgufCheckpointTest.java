package dev.llmsuite.engine.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The suite's own GGUF files: fp32 round trips to the bit, tied and untied heads, with and without a qkv bias. */
class GgufCheckpointTest {
    @TempDir Path dir;

    @ParameterizedTest
    @CsvSource({"true,true", "true,false", "false,true", "false,false"})
    void f32RoundTripsToTheBit(boolean tied, boolean qkvBias) throws Exception {
        GptConfig c = new GptConfig(64, 16, 32, 2, 2, 0.0, qkvBias, tied);
        try (CpuBackend be = new CpuBackend(2); GptModel model = new GptModel(be, c)) {
            randomize(model, 7);
            Path file = dir.resolve("m.gguf");
            GgufCheckpoint.save(model, "m", GgmlType.F32, vocabulary(64), file);
            try (GptModel back = GgufCheckpoint.load(be, file)) {
                assertEquals(model.config().withDropRate(back.config().dropRate()), back.config());
                assertArrayEquals(parameters(model), parameters(back));
            }
            try (GgufFile f = GgufFile.open(file)) {
                assertEquals(vocabulary(64), GgufCheckpoint.readVocabulary(f));
                assertTrue(f.tensors().containsKey("output.weight"), "llama.cpp requires output.weight, tied or not");
                assertEquals(GgmlType.F32, f.tensors().get("blk.0.attn_qkv.bias").type());
            }
        }
    }

    @Test
    void quantizedMatricesKeepNormsBiasesAndPositionsInF32() throws Exception {
        try (CpuBackend be = new CpuBackend(2); GptModel model = new GptModel(be, new GptConfig(64, 16, 32, 2, 2, 0.0, true, true))) {
            randomize(model, 3);
            Path file = dir.resolve("q.gguf");
            GgufCheckpoint.save(model, "q", GgmlType.Q8_0, null, file);
            try (GgufFile f = GgufFile.open(file)) {
                for (GgufFile.TensorInfo t : f.tensors().values()) {
                    boolean matrix = t.dims().length == 2 && !t.name().equals("position_embd.weight");
                    assertEquals(matrix ? GgmlType.Q8_0 : GgmlType.F32, t.type(), t.name());
                }
                assertEquals(7L, f.get("general.file_type").asLong("general.file_type"));
            }
            float[] original = parameters(model);
            try (GptModel back = GgufCheckpoint.load(be, file)) {
                float[] read = parameters(back);
                double worst = 0, scale = 0;
                for (int i = 0; i < read.length; i++) {
                    worst = Math.max(worst, Math.abs(read[i] - original[i]));
                    scale = Math.max(scale, Math.abs(original[i]));
                }
                assertTrue(worst > 0 && worst <= scale / 200, "q8_0 error: half a step of max/127, plus the f16 scale's rounding: " + worst);
            }
        }
    }

    static GgufVocabulary vocabulary(int v) {
        List<String> tokens = IntStream.range(0, v).mapToObj(i -> "t" + i).toList();
        List<Long> types = IntStream.range(0, v).mapToObj(i -> i == v - 1 ? GgufVocabulary.CONTROL : GgufVocabulary.NORMAL).toList();
        return new GgufVocabulary("gpt2", "gpt-2", tokens, types, List.of("t1 t2"), v - 1, v - 1);
    }

    /** Every parameter random and nonzero (initialize() zeroes biases, and a zero qkv bias reads back as none). */
    static void randomize(GptModel m, long seed) {
        Random r = new Random(seed);
        float[] all = new float[(int) m.layout().totalSize()];
        for (int i = 0; i < all.length; i++) all[i] = (float) r.nextGaussian() * 0.3f;
        m.backend().write(m.parameters(), 0, all, 0, all.length);
    }

    static float[] parameters(GptModel m) {
        float[] all = new float[(int) m.layout().totalSize()];
        m.backend().read(m.parameters(), 0, all, 0, all.length);
        return all;
    }
}
