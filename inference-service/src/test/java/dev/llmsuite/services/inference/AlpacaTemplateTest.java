package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The book's format_input, character for character. */
class AlpacaTemplateTest {

    @Test
    void withAndWithoutInput() {
        String pre = "Below is an instruction that describes a task. Write a response that appropriately completes the request.";
        assertEquals(pre + "\n\n### Instruction:\nIdentify the correct spelling of the following word.\n\n### Input:\nOcassion"
                        + "\n\n### Response:\n",
                AlpacaTemplate.render("Identify the correct spelling of the following word.", "Ocassion"));
        assertEquals(pre + "\n\n### Instruction:\nName a color.\n\n### Response:\n", AlpacaTemplate.render("Name a color.", ""));
    }
}
