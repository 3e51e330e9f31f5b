package dev.llmsuite.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible map between bytes and printable characters (bytes_to_unicode in OpenAI's
 * encoder.py): printable Latin-1 bytes map to themselves, the other 68 to U+0100 and up. encoder.json
 * spells tokens in these characters.
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    public static char toChar(int b) { return BYTE_TO_CHAR[b & 0xFF]; }

    /** The bytes a byte-level token string spells; fails on a character outside the map. */
    public static byte[] toBytes(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) throw new IllegalArgumentException("'" + token + "' is not a byte-level token (U+"
                    + Integer.toHexString(c).toUpperCase() + ")");
            out[i] = (byte) b;
        }
        return out;
    }

    public static String toString(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) sb.append(BYTE_TO_CHAR[b & 0xFF]);
        return sb.toString();
    }
}
