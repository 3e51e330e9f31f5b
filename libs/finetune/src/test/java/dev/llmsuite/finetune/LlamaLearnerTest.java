package dev.llmsuite.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.LlamaCheckpoint;
import dev.llmsuite.engine.model.llama.LlamaConfig;
import dev.llmsuite.engine.model.llama.LlamaLora;
import dev.llmsuite.engine.model.llama.LlamaModel;
import dev.llmsuite.engine.model.llama.LlamaTrainingStep;
import dev.llmsuite.records.Json;
import dev.llmsuite.tokenizer.ByteLevel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Llama learner's batch is its rows weighted by their share of the batch's targets (the batch's mean loss, as
 * GPT-2's one forward over B × T gives it); its sequences start with BOS and end with EOS as the base's files say;
 * training lowers the loss, through LoRA adapters or every weight; after the adapters are merged for answering it
 * refuses to train.
 */
class LlamaLearnerTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aBatchIsItsRowsWeightedByTheirTargets(boolean lora) throws Exception {
        LlamaConfig c = new LlamaConfig(LlamaConfig.Architecture.QWEN3, 260, 32, 64, 2, 2, 1, 16, 64, 1e-6f, 1_000_000, null, true, false);
        try (CpuBackend be = new CpuBackend(1)) {
            try (LlamaModel m = LlamaModel.initialized(be, c, 4)) {
                LlamaCheckpoint.save(m, dir);
            }
            Map<String, Object> config = new LinkedHashMap<>((Map<String, Object>) Json.parse(Files.readString(dir.resolve("config.json"))));
            config.put("eos_token_id", List.of(256L, 257L));
            config.put("bos_token_id", 258L);
            Files.writeString(dir.resolve("config.json"), Json.write(config));
            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}");
            Map<String, Object> vocab = new LinkedHashMap<>();
            for (int b = 0; b < 256; b++) vocab.put(ByteLevel.toString(new byte[] {(byte) b}), (long) b);
            Files.writeString(dir.resolve("tokenizer.json"), Json.write(Map.of("model", Map.of("type", "BPE", "vocab", vocab, "merges", List.of()),
                    "pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true),
                    "added_tokens", List.of(Map.of("id", 256L, "content", "<|end|>", "special", true), Map.of("id", 258L, "content", "<|begin|>", "special", true)))));

            LlamaLora.Settings adapters = lora ? new LlamaLora.Settings(4, 8, EnumSet.allOf(LlamaLora.Target.class)) : null;
            try (LlamaLearner learner = LlamaLearner.open(be, dir, adapters, 0.0, 1)) {
                assertEquals(256, learner.endOfText());
                assertArrayEquals(new int[] {258, 'h', 'i'}, learner.encode("hi"));
                InstructionCollate.Batch b = InstructionCollate.collate(List.of(learner.encode("hello there"), learner.encode("hey")),
                        null, null, learner.endOfText());
                double expected = 0;
                int total = 0;
                try (LlamaTrainingStep step = lora ? new LlamaTrainingStep(learner.model(), learner.adapters(), b.length())
                        : new LlamaTrainingStep(learner.model(), b.length())) {
                    double[] rows = new double[2];
                    int[] counts = new int[2];
                    for (int r = 0; r < 2; r++) {
                        int[] targets = Arrays.copyOfRange(b.targets(), r * b.length(), (r + 1) * b.length());
                        counts[r] = (int) Arrays.stream(targets).filter(t -> t != InstructionCollate.IGNORE).count();
                        rows[r] = step.loss(Arrays.copyOfRange(b.inputs(), r * b.length(), (r + 1) * b.length()), targets);
                        total += counts[r];
                    }
                    for (int r = 0; r < 2; r++) expected += rows[r] * counts[r] / total;
                }
                assertEquals(expected, learner.loss(b), 1e-6 * expected);
                double first = learner.trainStep(b, 0, 1e-2), last = first;
                assertEquals(expected, first, 1e-6 * expected, "the step reports the batch's loss before it updates");
                for (int i = 1; i < 20; i++) last = learner.trainStep(b, i, 1e-2);
                assertTrue(last < 0.95 * first, "20 steps on one batch: " + first + " -> " + last);
                learner.complete(learner.encode("hi"), 3);
                if (lora) assertThrows(IllegalStateException.class, () -> learner.trainStep(b, 20, 1e-2)); // merged for answering
                else assertTrue(learner.trainStep(b, 20, 1e-2) < first, "every weight trained: it trains on after answering");
            }
        }
    }
}
