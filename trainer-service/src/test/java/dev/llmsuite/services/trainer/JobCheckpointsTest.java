package dev.llmsuite.services.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobCheckpointsTest {

    @Test
    void pruningKeepsTheNewestStepsByNumberNotByName(@TempDir Path job) throws Exception {
        for (int step : new int[] {2, 9, 10, 100, 30}) {
            Files.createDirectories(job.resolve("step-" + step));
            Files.writeString(job.resolve("step-" + step).resolve("model.safetensors"), "x");
        }
        Files.createDirectories(job.resolve(".step-200.tmp-1")); // a write in progress is not a step
        JobCheckpoints.prune(job, 3);
        try (Stream<Path> s = Files.list(job)) {
            assertEquals(List.of(".step-200.tmp-1", "step-10", "step-100", "step-30"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
