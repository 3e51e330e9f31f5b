package dev.llmsuite.services.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.HfCheckpoint;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.CheckpointAnnouncement;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import dev.llmsuite.tokenizer.Encodings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.ConfigProvider;

/** Checkpoints as the trainer writes them (random GPT weights over the GPT-2 vocabulary), announced on Kafka. */
final class TestCheckpoints {
    /** The models most tests serve: GPT-2's vocabulary, context 64, 16 wide, 1 layer. */
    static final GptConfig CFG = new GptConfig(50257, 64, 16, 2, 1, 0.0, false, true);
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestCheckpoints() {}

    static CheckpointAnnouncement write(String model, long step, long seed, boolean corrupt) throws Exception {
        return write(CFG, model, step, seed, corrupt);
    }

    /** Writes a checkpoint of {@code config} initialized from {@code seed}; corrupt: a file no longer matches its hash. */
    static CheckpointAnnouncement write(GptConfig config, String model, long step, long seed, boolean corrupt) throws Exception {
        Path dir = Files.createTempDirectory(root(), "ckpt-");
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = new GptModel(be, config);
            m.initialize(seed);
            HfCheckpoint.save(m, dir);
        }
        Files.writeString(dir.resolve("trainer.json"), "{\"dataset\": \"" + model + "\", \"step\": " + step
                + ", \"tokens\": 42, \"vocabularyHash\": \"" + Encodings.gpt2().hash() + "\"}");
        Map<String, String> hashes = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                hashes.put(f.getFileName().toString(), CheckpointAnnouncement.sha256(Files.readAllBytes(f)));
            }
        }
        if (corrupt) Files.writeString(dir.resolve("trainer.json"), "{}");
        return new CheckpointAnnouncement("job", model, step, dir.toString(), hashes, Map.of("loss", 1.5), System.currentTimeMillis());
    }

    /** llm.inference.checkpoint-dir: announcements are served only from under it. */
    static Path root() throws IOException {
        Path root = ConfigProvider.getConfig().getValue("llm.inference.checkpoint-dir", Path.class);
        return Files.createDirectories(root.toAbsolutePath());
    }

    static void announce(CheckpointAnnouncement a) throws Exception {
        TestKafka.send(KafkaBrokerResource.bootstrapServers(), Topics.CHECKPOINTS, a.model(), JSON.writeValueAsBytes(a));
    }
}
