package dev.llmsuite.services.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void pruningNeverDeletesThePromotedStep(@TempDir Path job) throws Exception {
        for (int step : new int[] {2, 4, 6, 8, 10}) {
            Files.createDirectories(job.resolve("step-" + step));
            Files.writeString(job.resolve("step-" + step).resolve("model.safetensors"), "x");
        }
        JobCheckpoints.prune(job, 2, 10, step -> step == 2);
        try (Stream<Path> s = Files.list(job)) {
            assertEquals(List.of("step-10", "step-2", "step-8"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void onlyValidJobNamesAreJobFoldersAndSettingAsideLeavesTheNamespace(@TempDir Path root) throws Exception {
        for (String d : List.of("demo", "x.old-1", "adapters", ".finetune-jobs", ".set-aside", "-dash")) Files.createDirectories(root.resolve(d));
        Files.writeString(root.resolve("demo").resolve("marker"), "mine");
        JobDirectories dirs = new JobDirectories(root);
        assertEquals(List.of("demo", "x.old-1"), dirs.jobFolders().stream().map(p -> p.getFileName().toString()).toList());

        dirs.setAside("demo");
        assertFalse(Files.exists(root.resolve("demo")));
        try (Stream<Path> s = Files.list(root.resolve(JobDirectories.SET_ASIDE))) {
            Path aside = s.findFirst().orElseThrow();
            assertTrue(aside.getFileName().toString().startsWith("demo-"), aside.toString());
            assertEquals("mine", Files.readString(aside.resolve("marker")));
        }
        assertEquals(List.of("x.old-1"), dirs.jobFolders().stream().map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void noIdReachesOutsideItsOwnFolder(@TempDir Path root) {
        JobDirectories dirs = new JobDirectories(root);
        for (String id : List.of("..", ".", "adapters", ".finetune-jobs", ".set-aside", "a/b", "../x", "/etc", "x".repeat(129), "", " a")) {
            assertThrows(IllegalArgumentException.class, () -> dirs.of(id), id);
            assertThrows(IllegalArgumentException.class, () -> dirs.adapter(id), id);
        }
        assertEquals(root.toAbsolutePath().normalize().resolve("x.old-1"), dirs.of("x.old-1"));
        assertEquals(root.toAbsolutePath().normalize().resolve("y".repeat(128)), dirs.of("y".repeat(128)));
    }
}
