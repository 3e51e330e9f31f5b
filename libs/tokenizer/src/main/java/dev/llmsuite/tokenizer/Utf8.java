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
     * An unpaired surrogate has no UTF-8 form; like tiktoken, it is encoded as U+FFFD.
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
                    out[n++] = (byte) 0xEF; // U+FFFD
                    out[n++] = (byte) 0xBF;
                    out[n++] = (byte) 0xBD;
                    continue;
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
        if (mode == DecodeMode.LENIENT) return decodeReplacing(bytes, len);
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

    /**
     * Decodes with one U+FFFD per maximal subpart of an ill-formed sequence (Unicode's recommended
     * practice, which Python's errors="replace" follows; the JDK's own decoder differs in places).
     */
    static String decodeReplacing(byte[] b, int len) {
        StringBuilder out = new StringBuilder(len);
        int i = 0;
        while (i < len) {
            int lead = b[i] & 0xFF;
            if (lead < 0x80) {
                out.append((char) lead);
                i++;
                continue;
            }
            int need, lo = 0x80, hi = 0xBF; // continuation bytes needed; allowed range of the second byte
            if (lead >= 0xC2 && lead <= 0xDF) need = 1;
            else if (lead == 0xE0) { need = 2; lo = 0xA0; }
            else if (lead == 0xED) { need = 2; hi = 0x9F; }
            else if (lead >= 0xE1 && lead <= 0xEF) need = 2;
            else if (lead == 0xF0) { need = 3; lo = 0x90; }
            else if (lead >= 0xF1 && lead <= 0xF3) need = 3;
            else if (lead == 0xF4) { need = 3; hi = 0x8F; }
            else {
                out.append('\uFFFD');
                i++;
                continue;
            }
            int cp = lead & (0x3F >> need);
            int k = 1;
            for (; k <= need; k++) {
                if (i + k >= len) break;
                int c = b[i + k] & 0xFF;
                int min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
                if (c < min || c > max) break;
                cp = (cp << 6) | (c & 0x3F);
            }
            if (k <= need) {
                out.append('\uFFFD'); // the lead and the valid continuation bytes so far
                i += k;
            } else {
                out.appendCodePoint(cp);
                i += need + 1;
            }
        }
        return out.toString();
    }

    /** Text that arrives as bytes: valid UTF-8 or an error that says where it breaks. */
    public static String decodeStrict(byte[] bytes) {
        return decode(bytes, bytes.length, DecodeMode.STRICT);
    }
}
