package dev.llmsuite.services.trainer;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The offset metadata as the trainer writes it, and as anyone who can commit to the group might leave it. */
class CommittedStepsTest {

    @Test
    void whatIsWrittenReadsBack() {
        Map<String, Long> steps = new LinkedHashMap<>(Map.of("job-a", 12L));
        steps.put("job.b_2", 400L);
        assertEquals(steps, CommittedSteps.parse(CommittedSteps.format(steps)));
    }

    @Test
    void junkIsIgnoredEntryByEntry() {
        for (String junk : new String[] {null, "", "   ", ",,,", ":", "::", "a:", ":5", "a:b", "a:-5", "a:0", "a:1.5", "a:NaN",
                "a:99999999999999999999", "../up:7", "a/b:3", ".hidden:4", "x".repeat(200) + ":5", "\u0000:1"}) {
            assertTrue(CommittedSteps.parse(junk).isEmpty(), String.valueOf(junk));
        }
        assertEquals(Map.of("good", 9L, "also", 3L), CommittedSteps.parse("junk,good:9,../x:4,also:3,bad:-1"));
        assertEquals(Map.of("twice", 8L), CommittedSteps.parse("twice:5,twice:8"), "the last entry for an id counts");
    }

    @Test
    void metadataBeyondKafkasLimitLeavesJobsOut() {
        Map<String, Long> many = new LinkedHashMap<>();
        for (int i = 0; i < 500; i++) many.put("job-with-a-longish-id-" + i, 1_000_000L + i);
        String text = CommittedSteps.format(many);
        assertTrue(text.length() <= CommittedSteps.MAX_CHARS, "fits offset.metadata.max.bytes");
        Map<String, Long> back = CommittedSteps.parse(text);
        assertTrue(back.size() > 50 && back.size() < 500, back.size() + " jobs");
        back.forEach((id, step) -> assertEquals(many.get(id), step));
    }
}
