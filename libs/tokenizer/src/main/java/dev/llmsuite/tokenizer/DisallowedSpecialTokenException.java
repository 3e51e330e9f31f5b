package dev.llmsuite.tokenizer;

/** The text spells a special token that the caller did not allow. */
public final class DisallowedSpecialTokenException extends IllegalArgumentException {
    private final String token;
    private final int index;

    public DisallowedSpecialTokenException(String token, int index) {
        super("text contains the special token " + token + " at char " + index
                + "; allow it, or encode it as ordinary text");
        this.token = token;
        this.index = index;
    }

    public String token() { return token; }

    public int index() { return index; }
}
