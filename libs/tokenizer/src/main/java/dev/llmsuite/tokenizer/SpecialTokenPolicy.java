package dev.llmsuite.tokenizer;

import java.util.Set;

/**
 * What to do with text that spells a special token, as tiktoken's {@code allowed_special} /
 * {@code disallowed_special} do: by default such text is an error; allowed specials become their ids;
 * {@link #ORDINARY} encodes all of them as plain text.
 */
public record SpecialTokenPolicy(Set<String> allowed, boolean allowAll, boolean ordinary) {

    /** Reject text containing any special token (tiktoken's default). */
    public static final SpecialTokenPolicy REJECT = new SpecialTokenPolicy(Set.of(), false, false);
    /** Every special token in the text becomes its id. */
    public static final SpecialTokenPolicy ALLOW_ALL = new SpecialTokenPolicy(Set.of(), true, false);
    /** Special-token text is ordinary text (tiktoken's encode_ordinary). */
    public static final SpecialTokenPolicy ORDINARY = new SpecialTokenPolicy(Set.of(), false, true);

    public SpecialTokenPolicy {
        allowed = Set.copyOf(allowed);
    }

    public static SpecialTokenPolicy allow(Set<String> names) {
        return new SpecialTokenPolicy(names, false, false);
    }

    boolean isAllowed(String special) {
        return allowAll || allowed.contains(special);
    }
}
