package dev.llmsuite.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch side of a benchmark: benchmarks/python/torch_bench.py run by a python3 that has torch
 * (Debian's python3-torch), one JSON line per row. OpenBLAS's core-type overrides are removed for that
 * process only, so the peer runs its fastest kernels on this CPU.
 */
final class TorchPeer {
    private final Path script;
    private final String python;
    private final List<String> device;

    private TorchPeer(Path script, String python, List<String> device) {
        this.script = script;
        this.python = python;
        this.device = device;
    }

    /** The peer on the CPU, or null (with the reason printed) when python3 with torch is not installed. */
    static TorchPeer find(Path root) {
        return find(root, List.of());
    }

    /** The peer with these device arguments (e.g. --device cuda --tf32) added to every run. */
    static TorchPeer find(Path root, List<String> device) {
        Path script = root.resolve("benchmarks/python/torch_bench.py");
        for (String python : List.of("/usr/bin/python3", "python3")) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.exists(script)) return new TorchPeer(script, python, device);
            } catch (Exception ignored) {
                // try the next
            }
        }
        System.err.println("peer skipped: no python3 with torch (apt-get install python3-torch libopenblas0-pthread)");
        return null;
    }

    List<JsonNode> run(String... args) {
        List<String> cmd = new ArrayList<>(List.of(python, script.toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(device);
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().remove("OPENBLAS_CORETYPE");
            pb.environment().remove("OPENBLAS_L2_SIZE");
            Process p = pb.start();
            List<JsonNode> rows = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) if (line.startsWith("{")) rows.add(Http.JSON.readTree(line));
            }
            if (p.waitFor() != 0) throw new IllegalStateException("torch_bench.py exited with " + p.exitValue());
            return rows;
        } catch (Exception e) {
            throw new IllegalStateException("the PyTorch peer failed: " + e.getMessage(), e);
        }
    }
}
