package dev.llmsuite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A corpus over the document limit is sent in parts that join back to it exactly. */
class DemoCorpusTest {

    @Test
    void partsCutBetweenLinesStayUnderTheLimitAndJoinBackToTheText() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 500; i++) sb.append("address ").append(i).append(" — ").append("é".repeat(i % 37)).append('\n');
        sb.append("x".repeat(900)).append("\nlast line without newline");
        String text = sb.toString();
        List<String> parts = DemoCorpus.parts(text, 256);
        assertEquals(text, String.join("", parts));
        for (String p : parts) assertTrue(p.getBytes(StandardCharsets.UTF_8).length <= 256, p.length() + " chars");
        assertTrue(parts.stream().filter(p -> !p.startsWith("x")).allMatch(p -> p.endsWith("\n") || p.endsWith("newline")),
                "cuts fall between lines, except inside the one over-long line");
        assertEquals(List.of("short\n"), DemoCorpus.parts("short\n", 256));
    }
}
