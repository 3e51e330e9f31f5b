package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FinetuneJobFilesTest {

    /** A stray file in .finetune-jobs once stopped the trainer from starting (a NullPointerException at startup). */
    @Test
    void filesThatAreNotStoredJobsAreSkippedNotFatal(@TempDir Path root) throws Exception {
        ObjectMapper json = new ObjectMapper();
        FinetuneJobFiles files = new FinetuneJobFiles(root, json);
        FinetuneSpec spec = json.readValue("{\"id\":\"good\",\"task\":\"classification\",\"dataset\":\"d\"}", FinetuneSpec.class);
        files.write(new FinetuneJobFiles.StoredJob(spec, "/base", null, 0, null));
        Path dir = files.directory();
        Files.writeString(dir.resolve("empty.json"), "{}");
        Files.writeString(dir.resolve("null.json"), "null");
        Files.writeString(dir.resolve("array.json"), "[]");
        Files.writeString(dir.resolve("other-name.json"), Files.readString(dir.resolve("good.json")));
        Files.writeString(dir.resolve("dots.json"), Files.readString(dir.resolve("good.json")).replace("\"good\"", "\"..\""));
        assertEquals(List.of("good"), files.readAll().stream().map(j -> j.spec().id()).toList());
    }
}
