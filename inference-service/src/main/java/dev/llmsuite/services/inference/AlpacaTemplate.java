package dev.llmsuite.services.inference;

import dev.llmsuite.finetune.AlpacaPrompt;
import dev.llmsuite.service.ProblemException;
import java.util.List;

/**
 * The book's instruction prompt (chapter 7, format_input): a fixed preamble, "### Instruction:", an
 * optional "### Input:", then "### Response:". Chat messages map onto it as a single turn: the last user
 * message is the instruction; a system message, if any, becomes the input, followed by the tools the model may call
 * and the results of the calls it made (tool messages).
 */
final class AlpacaTemplate {
    private AlpacaTemplate() {}

    static String render(String instruction, String input) {
        return AlpacaPrompt.render(instruction, input);
    }

    static String render(List<ChatRequest.Message> messages) {
        return render(messages, null);
    }

    /**
     * @param tools what the model may call ({@link ToolCalls#describe}), added to the input with the results of the
     *              calls it made (tool messages), or null
     */
    static String render(List<ChatRequest.Message> messages, String tools) {
        if (messages == null || messages.isEmpty()) throw ProblemException.badRequest("'messages' must hold at least one message");
        String instruction = null, input = null;
        StringBuilder results = new StringBuilder();
        for (ChatRequest.Message m : messages) {
            ChatRequest.Message.requireRoleAndContent(m);
            switch (m.role()) {
                case "user" -> instruction = m.content();
                case "system" -> input = m.content();
                case "assistant" -> { /* earlier turns: the template is single-turn */ }
                case "tool" -> results.append("\nResult of ").append(m.name() == null ? m.toolCallId() : m.name()).append(": ").append(m.content());
                default -> throw ProblemException.badRequest("unknown role '" + m.role() + "' (system, user, assistant, tool)");
            }
        }
        if (instruction == null) throw ProblemException.badRequest("'messages' has no user message");
        String context = join(join(input, tools), results.isEmpty() ? null : results.toString().strip());
        return render(instruction, context);
    }

    private static String join(String a, String b) {
        if (a == null || a.isEmpty()) return b;
        if (b == null || b.isEmpty()) return a;
        return a + "\n\n" + b;
    }
}
