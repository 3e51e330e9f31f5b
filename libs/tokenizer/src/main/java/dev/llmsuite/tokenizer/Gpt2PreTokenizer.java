package dev.llmsuite.tokenizer;

/**
 * GPT-2's pre-tokenization, hand-written instead of a regex so it runs in one linear pass:
 *
 * <pre>'(?:[sdmt]|ll|ve|re) | ?\p{L}+ | ?\p{N}+ | ?[^\s\p{L}\p{N}]+ | \s+(?!\S) | \s+</pre>
 *
 * with Unicode classes as tiktoken's regex engine has them: {@code \p{L}} the letter categories,
 * {@code \p{N}} the number categories, {@code \s} the White_Space property. Contractions are ASCII and
 * lower case only, as in GPT-2.
 *
 * <p>It scans UTF-8 bytes (valid UTF-8, as {@link Utf8#encode} writes it), so each piece comes out as a
 * [start, end) byte range that the encoder looks up without copying.
 */
public final class Gpt2PreTokenizer {

    /** Receives each piece in order. */
    @FunctionalInterface
    public interface PieceSink {
        void piece(int start, int end);
    }

    static final byte LETTER = 1, NUMBER = 2, SPACE = 3, OTHER = 4;

    /** The class of every BMP code point, computed once (64 KiB). */
    private static final byte[] BMP_CLASS = new byte[0x10000];

    static {
        for (int c = 0; c < 0x10000; c++) BMP_CLASS[c] = classify(c);
    }

    private Gpt2PreTokenizer() {}

    static byte classOf(int cp) {
        return cp < 0x10000 ? BMP_CLASS[cp] : classify(cp);
    }

    private static byte classify(int cp) {
        if (isWhiteSpace(cp)) return SPACE;
        if (Character.isLetter(cp)) return LETTER;
        int t = Character.getType(cp);
        if (t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER) {
            return NUMBER;
        }
        return OTHER;
    }

    /** Unicode's White_Space property (PropList.txt), which is what {@code \s} means to tiktoken. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    /** Splits the UTF-8 bytes b[from, to) into pieces. */
    public static void split(byte[] b, int from, int to, PieceSink sink) {
        int i = from;
        while (i < to) {
            int end = contraction(b, i, to);
            if (end < 0) end = classRun(b, i, to);
            sink.piece(i, end);
            i = end;
        }
    }

    /** 's 'd 'm 't 'll 've 're at i, or -1. */
    private static int contraction(byte[] b, int i, int to) {
        if (b[i] != '\'' || i + 1 >= to) return -1;
        byte x = b[i + 1];
        if (x == 's' || x == 'd' || x == 'm' || x == 't') return i + 2;
        if (i + 2 < to) {
            byte y = b[i + 2];
            if ((x == 'l' && y == 'l') || (x == 'v' && y == 'e') || (x == 'r' && y == 'e')) return i + 3;
        }
        return -1;
    }

    private static int classRun(byte[] b, int i, int to) {
        byte cls = classAt(b, i);
        int j = i;
        // " ?X+" for X in letters, numbers, other: one optional leading U+0020.
        if (b[i] == ' ' && i + 1 < to) {
            byte next = classAt(b, i + 1);
            if (next != SPACE) {
                cls = next;
                j = i + 1;
            }
        }
        if (cls != SPACE) return runOf(b, j, to, cls);
        // Whitespace: \s+(?!\S) leaves the run's last character to the next piece when a non-space
        // follows; a single whitespace character before a non-space is taken alone by \s+.
        int k = i, last = i;
        while (k < to && classAt(b, k) == SPACE) {
            last = k;
            k += length(b[k]);
        }
        if (k >= to || last == i) return k;
        return last;
    }

    /** End of the run of code points of class cls starting at j. */
    private static int runOf(byte[] b, int j, int to, byte cls) {
        int k = j;
        while (k < to) {
            byte c = b[k];
            if (c >= 0) { // ASCII fast path
                if (BMP_CLASS[c] != cls) break;
                k++;
            } else {
                if (classAt(b, k) != cls) break;
                k += length(c);
            }
        }
        return k;
    }

    /** The class of the code point whose UTF-8 form starts at b[i]. */
    private static byte classAt(byte[] b, int i) {
        int c = b[i];
        if (c >= 0) return BMP_CLASS[c];
        int lead = c & 0xFF;
        if (lead < 0xE0) return BMP_CLASS[((lead & 0x1F) << 6) | (b[i + 1] & 0x3F)];
        if (lead < 0xF0) return BMP_CLASS[((lead & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F)];
        return classify(((lead & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F));
    }

    /** Bytes in the UTF-8 sequence led by this byte. */
    private static int length(byte lead) {
        int l = lead & 0xFF;
        return l < 0x80 ? 1 : l < 0xE0 ? 2 : l < 0xF0 ? 3 : 4;
    }
}
