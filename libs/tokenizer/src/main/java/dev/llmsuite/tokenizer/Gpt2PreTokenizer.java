package dev.llmsuite.tokenizer;

/**
 * GPT-2's pre-tokenization, hand-written instead of a regex so it runs in one linear pass:
 *
 * <pre>'(?:[sdmt]|ll|ve|re) | ?\p{L}+ | ?\p{N}+ | ?[^\s\p{L}\p{N}]+ | \s+(?!\S) | \s+</pre>
 *
 * with Unicode classes as tiktoken's regex engine has them: {@code \p{L}} the letter categories,
 * {@code \p{N}} the number categories, {@code \s} the White_Space property. Contractions are ASCII and
 * lower case only, as in GPT-2. Pieces come out as [start, end) char ranges of the input.
 */
public final class Gpt2PreTokenizer {

    /** Receives each piece in order. */
    @FunctionalInterface
    public interface PieceSink {
        void piece(int start, int end);
    }

    static final byte LETTER = 1, NUMBER = 2, SPACE = 3, OTHER = 4;

    /** The class of every BMP char, computed once (64 KiB). */
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

    /** Splits text[from, to) into pieces. */
    public static void split(String text, int from, int to, PieceSink sink) {
        int i = from;
        while (i < to) {
            int end = contraction(text, i, to);
            if (end < 0) end = classRun(text, i, to);
            sink.piece(i, end);
            i = end;
        }
    }

    /** 's 'd 'm 't 'll 've 're at i, or -1. */
    private static int contraction(String s, int i, int to) {
        if (s.charAt(i) != '\'' || i + 1 >= to) return -1;
        char a = s.charAt(i + 1);
        if (a == 's' || a == 'd' || a == 'm' || a == 't') return i + 2;
        if (i + 2 < to) {
            char b = s.charAt(i + 2);
            if ((a == 'l' && b == 'l') || (a == 'v' && b == 'e') || (a == 'r' && b == 'e')) return i + 3;
        }
        return -1;
    }

    private static int classRun(String s, int i, int to) {
        int cp = s.codePointAt(i);
        byte cls = classOf(cp);
        int j = i;
        // " ?X+" for X in letters, numbers, other: one optional leading U+0020.
        if (cp == ' ' && i + 1 < to) {
            int next = s.codePointAt(i + 1);
            byte nc = classOf(next);
            if (nc != SPACE) {
                cls = nc;
                j = i + 1;
            }
        }
        if (cls != SPACE) return runOf(s, j, to, cls);
        // Whitespace: \s+(?!\S) keeps the run's last char for the next piece when a non-space follows;
        // a single whitespace char before a non-space is taken alone by \s+.
        int k = runOf(s, i, to, SPACE);
        if (k == to || k - i == 1) return k;
        return k - 1; // whitespace is BMP, one char each
    }

    /** End of the run of code points of class cls starting at j (at least one). */
    private static int runOf(String s, int j, int to, byte cls) {
        int k = j;
        while (k < to) {
            char c = s.charAt(k);
            if (c < 0x80) { // ASCII fast path
                if (BMP_CLASS[c] != cls) break;
                k++;
                continue;
            }
            int cp = Character.codePointAt(s, k);
            if (classOf(cp) != cls) break;
            k += Character.charCount(cp);
        }
        return k;
    }
}
