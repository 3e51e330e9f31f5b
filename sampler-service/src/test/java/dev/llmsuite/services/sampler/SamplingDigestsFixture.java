package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.TrainingBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes fixtures/sampling-digests.txt from the in-memory sampler (replays by feeding the chunks again):
 * {@code ./mvnw -o test -pl sampler-service -Dtest=SamplingDigestsFixture -Dfixtures.write=true}.
 */
class SamplingDigestsFixture {
    @Test
    @EnabledIfSystemProperty(named = "fixtures.write", matches = "true")
    void write() throws Exception {
        List<String> lines = new ArrayList<>();
        for (SamplingScenarios.Scenario sc : SamplingScenarios.all()) {
            DatasetSampler s = new DatasetSampler("fx", sc.spec());
            List<TrainingBatch> sent = new ArrayList<>();
            long offset = 0;
            for (TokenChunk c : sc.chunks()) sent.addAll(s.onChunk(c, 0, offset++, false));
            while (true) {
                sent.addAll(s.endEpoch());
                if (s.done()) break;
                for (TokenChunk c : sc.chunks()) sent.addAll(s.onChunk(c, 0, 0, true));
            }
            for (Split split : Split.values()) lines.add(SamplingScenarios.digest(sc.name(), split, sent));
        }
        Files.write(Path.of("src/test/resources/fixtures/sampling-digests.txt"), lines);
    }
}
