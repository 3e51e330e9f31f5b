import dev.llmsuite.records.*;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.*;
import java.nio.file.*;
import java.nio.charset.StandardCharsets;

/**
 * Writes the fuzz tests' seed inputs (docs/fuzzing.md): valid records, a tiny GPT's weights and config,
 * the hostile inputs the hardening issue reproduced, a small tiktoken file. After ./mvnw install:
 *   java --add-modules jdk.incubator.vector -cp libs/records/target/classes:libs/engine/target/classes \
 *        tools/fuzz-seeds/Seeds.java .
 */
public class Seeds {
    public static void main(String[] a) throws Exception {
        Path root = Path.of(a[0]);
        Path rec = root.resolve("libs/records/src/test/resources/dev/llmsuite/records/RecordDecodersFuzzTestInputs");
        int[] ids = {1, 2, 3, 4, 5, 6, 7, 8};
        write(rec.resolve("trainingBatches/plain"), new TrainingBatch("d", Split.TRAIN, 0, 3, "h", 1, 2, 4, ids, ids).encode());
        write(rec.resolve("trainingBatches/packed"), new TrainingBatch("d", Split.VALIDATION, 1, 0, "h", 1, 2, 4, ids, ids, new int[] {0, 0, 2, 2, 0, 1, 1, 1}).encode());
        write(rec.resolve("trainingBatches/wide-ids"), new TrainingBatch("d", Split.TRAIN, 0, 0, "h", 1, 1, 2, new int[] {70000, 1}, new int[] {1, 70000}).encode());
        write(rec.resolve("tokenChunks/chunk"), new TokenChunk("d", "doc", 0, true, "h", ids).encode());
        write(rec.resolve("tokenChunks/wide"), new TokenChunk("d", "doc", 2, false, "h", new int[] {100000, 5}).encode());
        write(rec.resolve("documents/document"), new DocumentRecord("d", "doc", "gpt2", "Every effort moves you".getBytes(StandardCharsets.UTF_8)).encode());

        Path eng = root.resolve("libs/engine/src/test/resources/dev/llmsuite/engine/fuzz/FileParsersFuzzTestInputs");
        Path tmp = Files.createTempDirectory("seed");
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, GptConfig.TINY);
            m.initialize(1);
            HfCheckpoint.save(m, tmp);
        }
        write(eng.resolve("safetensorsFiles/tiny-gpt"), Files.readAllBytes(tmp.resolve("model.safetensors")));
        String huge = "{\"x\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904], \"data_offsets\": [0, 0]}}";
        byte[] hb = huge.getBytes(StandardCharsets.UTF_8);
        write(eng.resolve("safetensorsFiles/overflowing-shape"), java.nio.ByteBuffer.allocate(8 + hb.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(hb.length).put(hb).array());
        String config = Files.readString(tmp.resolve("config.json"));
        write(eng.resolve("checkpointConfigs/tiny-gpt"), config.getBytes(StandardCharsets.UTF_8));
        write(eng.resolve("checkpointConfigs/huge-context"), config.replace("\"n_positions\": 16", "\"n_positions\": 200000000").getBytes(StandardCharsets.UTF_8));
        write(eng.resolve("json/object"), "{\"a\": [1, 2.5e3, -0, true, null, \"\\u00e9\\n\"], \"b\": {}}".getBytes(StandardCharsets.UTF_8));
        write(eng.resolve("adapterFiles/config"), "{\"r\": 4, \"lora_alpha\": 8, \"target_modules\": [\"c_attn\"]}".getBytes(StandardCharsets.UTF_8));

        Path tok = root.resolve("libs/tokenizer/src/test/resources/dev/llmsuite/tokenizer/TokenizerInputsFuzzTestInputs");
        write(tok.resolve("encodingAndBack/text"), "Hello, world! Every effort moves you.\n\u00e9\u4e2d\ud83d\ude00 <|endoftext|>".getBytes(StandardCharsets.UTF_8));
        StringBuilder tk = new StringBuilder();
        for (int b = 0; b < 256; b++) tk.append(java.util.Base64.getEncoder().encodeToString(new byte[] {(byte) b})).append(' ').append(b).append('\n');
        tk.append(java.util.Base64.getEncoder().encodeToString("ab".getBytes())).append(" 256\n");
        write(tok.resolve("tiktokenFiles/bytes-and-one-merge"), tk.toString().getBytes(StandardCharsets.US_ASCII));
        java.nio.ByteBuffer ib = java.nio.ByteBuffer.allocate(1 + 4 * 6);
        ib.put((byte) 0).putInt(15496).putInt(995).putInt(50256).putInt(-1).putInt(50257).putInt(220);
        write(tok.resolve("decodingIds/ids"), ib.array());
    }

    static void write(Path f, byte[] b) throws Exception {
        Files.createDirectories(f.getParent());
        Files.write(f, b);
    }
}
