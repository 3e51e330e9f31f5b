package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.io.AdapterFiles;
import dev.llmsuite.engine.io.Safetensors;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters saved apart from the base come back bit for bit, and only onto the base they were made for. */
class AdapterFilesTest {

    @Test
    void savedAdaptersReloadOntoTheirBaseOnly(@TempDir Path dir) throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel base = new GptModel(be, LoraTest.CFG);
            GptModelGradientTest.initialize(base, 21);
            var settings = new LoraAdapters.Settings(2, 4, EnumSet.of(LoraAdapters.Target.QKV, LoraAdapters.Target.FC), Set.of(1));
            LoraAdapters lora = new LoraAdapters(be, LoraTest.CFG, settings);
            LoraTest.randomize(lora, 3);
            AdapterFiles.save(lora, base, dir);
            LoraAdapters back = AdapterFiles.load(base, dir);
            assertArrayEquals(LoraTest.read(be, lora.parameters(), 0, (int) lora.parameterCount()),
                    LoraTest.read(be, back.parameters(), 0, (int) back.parameterCount()));
            assertTrue(back.settings().equals(settings), back.settings().toString());

            GptModel other = new GptModel(be, LoraTest.CFG);
            GptModelGradientTest.initialize(other, 22);
            IOException e = assertThrows(IOException.class, () -> AdapterFiles.load(other, dir));
            assertTrue(e.getMessage().contains("made for base weights"), e.getMessage());
        }
    }

    @Test
    void settingsThatClaimMoreThanTheFileHoldsAreRefusedBeforeAllocating(@TempDir Path dir) throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel base = new GptModel(be, LoraTest.CFG);
            GptModelGradientTest.initialize(base, 21);
            LoraAdapters lora = new LoraAdapters(be, LoraTest.CFG, new LoraAdapters.Settings(2, 4, EnumSet.of(LoraAdapters.Target.QKV), Set.of()));
            AdapterFiles.save(lora, base, dir);
            // the same tensors, and metadata (made for this base) claiming rank 100,000,000: allocated as claimed,
            // gigabytes per layer
            Path file = dir.resolve(AdapterFiles.FILE);
            Map<String, Safetensors.Data> tensors = new LinkedHashMap<>();
            Map<String, String> meta;
            try (Safetensors.Reader r = Safetensors.open(file)) {
                meta = new LinkedHashMap<>(r.metadata());
                for (var e : r.entries().values()) tensors.put(e.name(), Safetensors.Data.of(r.floats(e.name()), e.shape()));
            }
            meta.put("r", "100000000");
            Safetensors.write(file, tensors, meta);
            IOException e = assertThrows(IOException.class, () -> AdapterFiles.load(base, dir));
            assertTrue(e.getMessage().contains("misshapen"), e.getMessage());
        }
    }
}
