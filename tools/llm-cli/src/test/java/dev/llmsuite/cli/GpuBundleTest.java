package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/gpu-bundle: a JDK runtime (jlink, real) and an SDK folder packed into checksummed parts of at most the size
 * asked, unpacked and checked with the bundle's own JDK; a damaged or missing part is refused before anything is
 * unpacked. The SDK here is a stand-in folder (its bin/tornado only lists a device): no TornadoVM SDK is built on
 * this machine; the real one is packed the same way (docs/gpu.md).
 */
class GpuBundleTest {
    private static final Path SCRIPT = Path.of("../gpu-bundle/gpu-bundle.sh").toAbsolutePath().normalize();

    private static String run(Path dir, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash"));
        cmd.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() + "\n" + out;
    }

    @Test
    void packsUnpacksChecksAndRefusesDamagedParts(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of(System.getProperty("java.home"), "bin", "jlink")), "skipped: this JDK has no jlink");
        Path sdk = Files.createDirectories(dir.resolve("sdk/bin"));
        Files.writeString(sdk.resolve("tornado"), "#!/usr/bin/env bash\n[ \"$1\" = --devices ] && echo \"device 0: stand-in ($JAVA_HOME)\"\n");
        Files.setPosixFilePermissions(sdk.resolve("tornado"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(dir.resolve("sdk/share/java/tornado"));
        byte[] noise = new byte[3 << 20];
        new java.util.Random(1).nextBytes(noise); // incompressible, so the parts really split
        Files.write(dir.resolve("sdk/share/java/tornado/runtime.jar"), noise);
        Path extra = Files.writeString(dir.resolve("device-check.sh"), "echo hello from the bundle\n");

        String packed = run(dir, SCRIPT.toString(), "pack", "--out", "out", "--part-size", "2m", "--tornado", "sdk",
                "--modules", "java.base", "--add", extra.toString());
        assertTrue(packed.startsWith("0\n"), packed);
        List<Path> parts;
        try (Stream<Path> s = Files.list(dir.resolve("out"))) {
            parts = s.filter(p -> p.getFileName().toString().startsWith("bundle.part-")).sorted().toList();
        }
        assertTrue(parts.size() >= 2, "3 MB of noise in parts of 2 MB: " + parts);
        for (Path part : parts) assertTrue(Files.size(part) <= 2 << 20, part + " is over the part size");

        String checked = run(dir, "out/gpu-bundle.sh", "unpack", "--in", "out", "--to", "dest");
        assertTrue(checked.startsWith("0\n"), checked);
        String check = run(dir, "out/gpu-bundle.sh", "check", "--in", "dest", "--run", "bash $TORNADOVM_HOME/../extra/device-check.sh");
        assertTrue(check.startsWith("0\n"), check);
        assertTrue(check.contains("device 0: stand-in (" + dir.resolve("dest/jdk").toRealPath() + ")"), "the SDK runs on the bundle's JDK: " + check);
        assertTrue(check.contains("hello from the bundle"), check);
        assertEquals(Files.readAllBytes(dir.resolve("sdk/share/java/tornado/runtime.jar")).length,
                Files.size(dir.resolve("dest/tornadovm/share/java/tornado/runtime.jar")));

        // one flipped byte, then a missing part: refused, nothing unpacked
        try (var ch = Files.newByteChannel(parts.get(1), StandardOpenOption.WRITE)) {
            ch.position(100).write(java.nio.ByteBuffer.wrap(new byte[] {42}));
        }
        String damaged = run(dir, "out/gpu-bundle.sh", "unpack", "--in", "out", "--to", "dest2");
        assertTrue(damaged.startsWith("2\n") && damaged.contains("does not match its checksum"), damaged);
        assertFalse(Files.exists(dir.resolve("dest2")));
        Files.delete(parts.getLast());
        String missing = run(dir, "out/gpu-bundle.sh", "unpack", "--in", "out", "--to", "dest2");
        assertTrue(missing.startsWith("2\n") && missing.contains("not the ones the manifest lists"), missing);
        String noSdk = run(dir, SCRIPT.toString(), "pack", "--out", "out2", "--tornado", "nowhere");
        assertTrue(noSdk.startsWith("2\n") && noSdk.contains("no TornadoVM SDK"), noSdk);
    }
}
