package dev.llmsuite.records;

import java.util.regex.Pattern;

/**
 * Dataset, document, job and adapter ids. They become Kafka keys, metric tags and folder names in every
 * service, so one rule holds for all of them: 1-128 letters, digits, '.', '_' or '-', the first a letter
 * or digit (so never ".", ".." or a hidden folder), no '/' (so never a path).
 */
public final class Names {
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    public static final String RULE = "1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit";

    private Names() {}

    public static boolean valid(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** The id, or an IllegalArgumentException naming what it is for; a long id is cut short in the message. */
    public static String require(String what, String id) {
        if (!valid(id)) {
            throw new IllegalArgumentException("'" + what + "' must be " + RULE + ", got " + quoted(id));
        }
        return id;
    }

    /** A value for an error message: quoted, at most 80 characters. */
    public static String quoted(String value) {
        if (value == null) return "nothing";
        return "'" + (value.length() > 80 ? value.substring(0, 80) + "…' (" + value.length() + " characters)" : value + "'");
    }
}
