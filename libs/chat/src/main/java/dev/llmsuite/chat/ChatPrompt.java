package dev.llmsuite.chat;

import dev.llmsuite.tokenizer.HfTokenizer;
import java.util.List;
import java.util.Map;

/**
 * A conversation's prompt as token ids: rendered by the model's chat template, then encoded with the added tokens
 * the template writes ({@code <|im_start|>}, {@code <|eot_id|>}, ...) recognized, as transformers'
 * {@code apply_chat_template(tokenize=True)} does (no further BOS: templates write their own).
 *
 * <p>Unlike transformers, a message, tool definition or variable that spells an added token itself is refused: the
 * template's markup and the conversation's text share one string, so text containing {@code <|im_end|>} would
 * otherwise end a turn and let a user write the system's lines.
 */
public final class ChatPrompt {
    private ChatPrompt() {}

    public static int[] encode(HfTokenizer tokenizer, ChatTemplate template, List<ChatMessage> messages,
            List<Map<String, Object>> tools, boolean addGenerationPrompt, Map<String, Object> variables) {
        return tokenizer.encode(render(tokenizer, template, messages, tools, addGenerationPrompt, variables), true);
    }

    /**
     * The rendered prompt, to be encoded with the added tokens recognized ({@link HfTokenizer#encodeWithSpecialTokens}),
     * after the same refusals as {@link #encode}: a server counts its characters before it spends time encoding it.
     */
    public static String render(HfTokenizer tokenizer, ChatTemplate template, List<ChatMessage> messages,
            List<Map<String, Object>> tools, boolean addGenerationPrompt, Map<String, Object> variables) {
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            String where = "message " + i;
            refuseAddedTokens(tokenizer, where + "'s role", m.role());
            refuseAddedTokens(tokenizer, where + "'s content", m.content());
            refuseAddedTokens(tokenizer, where + "'s reasoning", m.reasoningContent());
            refuseAddedTokens(tokenizer, where + "'s tool call id", m.toolCallId());
            for (ChatMessage.ToolCall call : m.toolCalls()) {
                refuseAddedTokens(tokenizer, where + "'s tool call", call.id());
                refuseAddedTokens(tokenizer, where + "'s tool call", call.name());
                refuseAddedTokens(tokenizer, where + "'s tool call", call.arguments());
            }
        }
        refuseAddedTokensIn(tokenizer, "the tools", tools, 0);
        refuseAddedTokensIn(tokenizer, "the template variables", variables, 0);
        return template.render(messages, tools, addGenerationPrompt, variables);
    }

    private static void refuseAddedTokensIn(HfTokenizer tokenizer, String where, Object value, int depth) {
        if (depth > 64) throw new ChatTemplateException(where + " nest more than 64 levels deep");
        switch (value) {
            case String s -> refuseAddedTokens(tokenizer, where, s);
            case Map<?, ?> map -> map.forEach((k, v) -> {
                refuseAddedTokensIn(tokenizer, where, k, depth + 1);
                refuseAddedTokensIn(tokenizer, where, v, depth + 1);
            });
            case Iterable<?> list -> list.forEach(v -> refuseAddedTokensIn(tokenizer, where, v, depth + 1));
            case null, default -> {}
        }
    }

    private static void refuseAddedTokens(HfTokenizer tokenizer, String where, String text) {
        if (text == null) return;
        String first = null;
        int firstAt = Integer.MAX_VALUE;
        for (String token : tokenizer.addedTokens().keySet()) {
            int at = text.indexOf(token);
            if (at >= 0 && at < firstAt) {
                first = token;
                firstAt = at;
            }
        }
        if (first != null) throw new ChatTemplateException(where + " contains the special token " + first);
    }
}
