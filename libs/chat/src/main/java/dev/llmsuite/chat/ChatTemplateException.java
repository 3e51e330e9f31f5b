package dev.llmsuite.chat;

/**
 * A chat template could not be read or refused to render a conversation: the template called
 * {@code raise_exception} (e.g. "Conversation roles must alternate"), went past a limit, or is not valid Jinja. The
 * message says which; services answer it with 400.
 */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
