package dev.llmsuite.finetune;

/**
 * The book's instruction prompt (chapter 7, format_input): a fixed preamble, "### Instruction:", an
 * optional "### Input:", then "### Response:" after which the model writes (or, in training, the
 * example's output follows).
 */
public final class AlpacaPrompt {
    public static final String PREAMBLE = "Below is an instruction that describes a task. "
            + "Write a response that appropriately completes the request.";

    private AlpacaPrompt() {}

    /** The prompt up to and including "### Response:\n". */
    public static String render(String instruction, String input) {
        String text = PREAMBLE + "\n\n### Instruction:\n" + instruction;
        if (input != null && !input.isEmpty()) text += "\n\n### Input:\n" + input;
        return text + "\n\n### Response:\n";
    }
}
