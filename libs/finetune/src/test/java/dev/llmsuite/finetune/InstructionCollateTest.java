package dev.llmsuite.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The book's own collate examples (chapter 7, section 7.3), tensor for tensor. */
class InstructionCollateTest {
    static final List<int[]> BATCH = List.of(new int[] {0, 1, 2, 3, 4}, new int[] {5, 6}, new int[] {7, 8, 9});
    static final int P = 50256, I = -100;

    @Test
    void theBooksBatch() {
        InstructionCollate.Batch b = InstructionCollate.collate(BATCH);
        assertEquals(3, b.batchSize());
        assertEquals(5, b.length());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, P, P, P, 7, 8, 9, P, P}, b.inputs());
        assertArrayEquals(new int[] {1, 2, 3, 4, P, 6, P, I, I, I, 8, 9, P, I, I}, b.targets());
    }

    @Test
    void truncationAndPromptMasking() {
        InstructionCollate.Batch b = InstructionCollate.collate(BATCH, 3, new int[] {2, 1, 3});
        assertEquals(3, b.length());
        assertArrayEquals(new int[] {0, 1, 2, 5, 6, P, 7, 8, 9}, b.inputs());
        // prompt of 2 tokens masks target 0 (it predicts the prompt's second token); 1 token masks none
        assertArrayEquals(new int[] {I, 2, 3, 6, P, I, I, I, P}, b.targets());
    }

    @Test
    void theBooksPromptFormat() {
        InstructionExample e = new InstructionExample("Identify the correct spelling of the following word.", "Ocassion",
                "The correct spelling is 'Occasion.'");
        assertEquals("Below is an instruction that describes a task. Write a response that appropriately completes the request."
                + "\n\n### Instruction:\nIdentify the correct spelling of the following word.\n\n### Input:\nOcassion"
                + "\n\n### Response:\nThe correct spelling is 'Occasion.'", e.text());
        assertEquals(AlpacaPrompt.PREAMBLE + "\n\n### Instruction:\nSay hi.\n\n### Response:\n",
                new InstructionExample("Say hi.", "", "Hi.").prompt(), "no input section without an input");
    }
}
