package dev.llmsuite.tokenizer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * GPT-2's files as a user may hand them over: encoder.json must be one object of token strings and integer ids
 * (the real files read in Gpt2EncodingTest).
 */
class Gpt2FilesFormatTest {
    private static final String MERGES = "#version: 0.2\na b\n";

    private static void read(String encoderJson) throws IOException {
        Gpt2FilesFormat.read("t", new ByteArrayInputStream(encoderJson.getBytes(StandardCharsets.UTF_8)),
                new ByteArrayInputStream(MERGES.getBytes(StandardCharsets.UTF_8)), Set.of("<|endoftext|>"));
    }

    @Test
    void everyOtherShapeIsRefusedWithItsReason() {
        for (String bad : new String[] {"[1, 2]", "{\"a\": 1.5}", "{\"a\": \"1\"}", "{\"a\": 99999999999}", "{\"a\": 0} trailing",
                "{\"a\": 0", "", "{\"a\": -1}", "{}"}) {
            IOException e = assertThrows(IOException.class, () -> read(bad), bad);
            assertTrue(e.getMessage().startsWith("encoder.json"), bad + ": " + e.getMessage());
        }
    }
}
