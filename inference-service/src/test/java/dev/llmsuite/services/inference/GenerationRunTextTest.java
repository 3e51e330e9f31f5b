package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Streamed text never splits a character: a prefix is cut back to the last whole one. */
class GenerationRunTextTest {

    @Test
    void aPrefixEndsOnACharacterBoundary() {
        byte[] b = "aé€😀".getBytes(StandardCharsets.UTF_8); // 1 + 2 + 3 + 4 bytes
        int[] expected = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
        for (int n = 0; n <= b.length; n++) {
            assertEquals(expected[n], GenerationRun.completeUtf8Prefix(Arrays.copyOf(b, n)), "prefix of " + n + " bytes");
        }
        assertEquals(2, GenerationRun.completeUtf8Prefix(new byte[] {'a', (byte) 0x80}), "a stray continuation byte counts as whole");
    }
}
