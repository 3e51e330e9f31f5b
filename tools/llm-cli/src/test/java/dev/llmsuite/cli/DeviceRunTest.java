package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/gpu-bundle/device-run.sh refuses what it cannot run, saying why, before a device call is spent. Its whole
 * run (stage, pack, unpack, every phase) is rehearsed by hand on PoCL with a built SDK (docs/gpu.md, "The device run").
 */
class DeviceRunTest {
    private static final Path SCRIPT = Path.of("../gpu-bundle/device-run.sh").toAbsolutePath().normalize();

    private static String run(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() + "\n" + out;
    }

    @Test
    void withoutACommandItPrintsItsUsage(@TempDir Path dir) throws Exception {
        String out = run(dir);
        assertTrue(out.startsWith("2\n") && out.contains("device-run.sh run --bundle DEST --out OUT"), out);
    }

    @Test
    void aFolderThatIsNotABundleIsRefused(@TempDir Path dir) throws Exception {
        String out = run(dir, "run", "--bundle", dir.toString(), "--out", dir.resolve("out").toString());
        assertTrue(out.startsWith("2\n") && out.contains("is not an unpacked bundle"), out);
        out = run(dir, "run", "--bundle", dir.toString(), "--out", dir.resolve("out").toString(), "--only", "env", "--bogus");
        assertTrue(out.startsWith("2\n") && out.contains("unknown option --bogus"), out);
    }

    @Test
    void stagingWithoutTheTornadoBackendIsRefused(@TempDir Path dir) throws Exception {
        Path jar = Path.of("target/llm-cli.jar"); // written at package, after the tests of a clean build
        boolean built = false;
        if (Files.exists(jar)) {
            try (JarFile j = new JarFile(jar.toFile())) {
                built = j.getManifest().getMainAttributes().getValue("Class-Path").contains("llm-engine-tornado");
            }
        }
        Assumptions.assumeFalse(built, "skipped: this build has the TornadoVM backend (TORNADOVM_HOME was set)");
        String out = run(dir, "stage", "--out", dir.resolve("suite").toString());
        assertTrue(out.startsWith("2\n") && out.contains("not built with the TornadoVM backend"), out);
        assertTrue(Files.notExists(dir.resolve("suite")), "nothing staged");
    }
}
