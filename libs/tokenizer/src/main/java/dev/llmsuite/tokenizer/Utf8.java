package dev.llmsuite.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 without allocation for the encoder's hot path, and the two decoding modes. */
public final class Utf8 {
    private Utf8() {}

    /** Bytes needed for s[start, end), at most 3 per char. */
    static int maxBytes(int chars) { return chars * 3; }

    /**
     * Encodes s[start, end) into out (which must hold {@link #maxBytes}) and returns the length.
     * An unpaired surrogate has no UTF-8 form: it is an error, never a silent '?'.
     */
    static int encode(String s, int start, int end, byte[] out) {
        int n = 0;
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                out[n++] = (byte) c;
            } else if (c < 0x800) {
                out[n++] = (byte) (0xC0 | (c >> 6));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= end || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw new IllegalArgumentException("text has an unpaired surrogate U+"
                            + Integer.toHexString(c).toUpperCase() + " at char " + i);
                }
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out[n++] = (byte) (0xF0 | (cp >> 18));
                out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (cp & 0x3F));
            } else {
                out[n++] = (byte) (0xE0 | (c >> 12));
                out[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return n;
    }

    static String decode(byte[] bytes, int len, DecodeMode mode) {
        if (mode == DecodeMode.LENIENT) return new String(bytes, 0, len, StandardCharsets.UTF_8);
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, len);
        CharBuffer out = CharBuffer.allocate(len);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            throw new IllegalArgumentException("invalid UTF-8 at byte " + in.position());
        }
        d.flush(out);
        return out.flip().toString();
    }

    /** Text that arrives as bytes: valid UTF-8 or an error that says where it breaks. */
    public static String decodeStrict(byte[] bytes) {
        return decode(bytes, bytes.length, DecodeMode.STRICT);
    }
}
