package dev.llmsuite.finetune;

/** One Alpaca-format example (instruction, optional input, output), as the book's instruction-data.json holds them. */
public record InstructionExample(String instruction, String input, String output) {
    public InstructionExample {
        if (instruction == null || instruction.isBlank()) throw new IllegalArgumentException("an example needs an instruction");
        if (output == null) throw new IllegalArgumentException("an example needs an output");
        if (input == null) input = "";
    }

    /** What the model is given. */
    public String prompt() {
        return AlpacaPrompt.render(instruction, input);
    }

    /** What the model trains on: the prompt and the response. */
    public String text() {
        return prompt() + output;
    }
}
