package dev.llmsuite.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** ../shared/data, present on developer machines and in CI, absent from a user's fresh clone. */
final class SharedData {
    private SharedData() {}

    static Path file(String relative) {
        Path root = Path.of(System.getProperty("suite.root", "../..")).resolve("../shared/data").normalize();
        Path f = root.resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(f), "skipped: " + f + " is absent (../shared is not beside this clone)");
        return f;
    }
}
