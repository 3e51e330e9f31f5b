package dev.llmsuite.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class JudgeClientTest {

    @Test
    void theBooksScoringPrompt() {
        InstructionExample e = new InstructionExample("Rewrite the sentence using a simile.", "The car is very fast.",
                "The car is as fast as lightning.");
        assertEquals("Given the input `Below is an instruction that describes a task. Write a response that appropriately completes "
                + "the request.\n\n### Instruction:\nRewrite the sentence using a simile.\n\n### Input:\nThe car is very fast.` and "
                + "correct output `The car is as fast as lightning.`, score the model response `The car is as fast as a bullet.` on a "
                + "scale from 0 to 100, where 100 is the best score. Respond with the integer number only.",
                JudgeClient.prompt(e, "The car is as fast as a bullet."));
    }

    @Test
    void scoresAreTheFirstIntegerInRange() {
        assertEquals(85, JudgeClient.parse("85"));
        assertEquals(90, JudgeClient.parse("Score: 90/100"));
        assertNull(JudgeClient.parse("excellent"));
        assertNull(JudgeClient.parse("150"));
        assertNull(JudgeClient.parse(null));
    }
}
