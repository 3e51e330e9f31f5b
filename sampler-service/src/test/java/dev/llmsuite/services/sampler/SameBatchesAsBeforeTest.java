package dev.llmsuite.services.sampler;

import dev.llmsuite.records.Split;
import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.TrainingBatch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Kafka Streams sampler sends what the in-memory sampler sent: every scenario, each split, bit for bit. */
class SameBatchesAsBeforeTest {

    @Test
    void everyScenarioSendsThePinnedBatches() throws IOException {
        List<String> expected;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/sampling-digests.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        List<String> got = new ArrayList<>();
        for (SamplingScenarios.Scenario sc : SamplingScenarios.all()) {
            try (SamplingDriver d = new SamplingDriver().spec("fx", sc.spec())) {
                List<TrainingBatch> sent = new ArrayList<>();
                for (TokenChunk c : sc.chunks()) sent.addAll(d.chunk(c));
                sent.addAll(d.runToEnd("fx"));
                for (Split split : Split.values()) got.add(SamplingScenarios.digest(sc.name(), split, sent));
            }
        }
        assertEquals(expected, got);
    }
}
