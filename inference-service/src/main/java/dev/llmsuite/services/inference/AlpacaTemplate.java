package dev.llmsuite.services.inference;

import dev.llmsuite.finetune.AlpacaPrompt;
import dev.llmsuite.service.ProblemException;
import java.util.List;

/**
 * The book's instruction prompt (chapter 7, format_input): a fixed preamble, "### Instruction:", an
 * optional "### Input:", then "### Response:". Chat messages map onto it as a single turn: the last user
 * message is the instruction; a system message, if any, becomes the input.
 */
final class AlpacaTemplate {
    private AlpacaTemplate() {}

    static String render(String instruction, String input) {
        return AlpacaPrompt.render(instruction, input);
    }

    static String render(List<ChatRequest.Message> messages) {
        if (messages == null || messages.isEmpty()) throw ProblemException.badRequest("'messages' must hold at least one message");
        String instruction = null, input = null;
        for (ChatRequest.Message m : messages) {
            if (m == null || m.role() == null || m.content() == null) {
                throw ProblemException.badRequest("every message needs a 'role' and a 'content'");
            }
            switch (m.role()) {
                case "user" -> instruction = m.content();
                case "system" -> input = m.content();
                case "assistant" -> { /* earlier turns: the template is single-turn */ }
                default -> throw ProblemException.badRequest("unknown role '" + m.role() + "' (system, user, assistant)");
            }
        }
        if (instruction == null) throw ProblemException.badRequest("'messages' has no user message");
        return render(instruction, input);
    }
}
