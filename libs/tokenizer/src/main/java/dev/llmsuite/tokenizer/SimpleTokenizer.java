package dev.llmsuite.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The book's chapter-2 tokenizer (SimpleTokenizerV2): split on punctuation, "--" and whitespace, a
 * vocabulary of the sorted distinct tokens of a text plus {@code <|endoftext|>} and {@code <|unk|>},
 * unknown words as {@code <|unk|>}, and a decode that re-attaches punctuation. Whitespace and sorting
 * follow Python's rules (str.isspace, code-point order) so ids equal the book's.
 */
public final class SimpleTokenizer {
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String UNKNOWN = "<|unk|>";
    private static final String PUNCTUATION = ",.:;?_!\"()'";
    private static final String REATTACH = ",.:;?!\"()'";

    private final Map<String, Integer> toId;
    private final String[] toToken;

    public SimpleTokenizer(Map<String, Integer> vocabulary) {
        this.toId = new LinkedHashMap<>(vocabulary);
        this.toToken = new String[vocabulary.size()];
        vocabulary.forEach((t, id) -> {
            if (id < 0 || id >= toToken.length || toToken[id] != null) {
                throw new IllegalArgumentException("vocabulary ids must be 0.." + (toToken.length - 1) + ", each once");
            }
            toToken[id] = t;
        });
        if (!toId.containsKey(UNKNOWN)) throw new IllegalArgumentException("vocabulary lacks " + UNKNOWN);
    }

    /** The book's vocabulary: sorted distinct tokens of the text, then {@code <|endoftext|>}, {@code <|unk|>}. */
    public static SimpleTokenizer fromText(String text) {
        TreeSet<String> distinct = new TreeSet<>(SimpleTokenizer::compareCodePoints);
        distinct.addAll(split(text));
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String t : distinct) vocab.put(t, vocab.size());
        vocab.putIfAbsent(END_OF_TEXT, vocab.size());
        vocab.putIfAbsent(UNKNOWN, vocab.size());
        return new SimpleTokenizer(vocab);
    }

    public Map<String, Integer> vocabulary() { return toId; }

    public int[] encode(String text) {
        List<String> tokens = split(text);
        int unk = toId.get(UNKNOWN);
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = toId.getOrDefault(tokens.get(i), unk);
        return ids;
    }

    public String decode(int[] ids) {
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= toToken.length) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i + " is outside the vocabulary");
            }
            if (i > 0) joined.append(' ');
            joined.append(toToken[ids[i]]);
        }
        return reattachPunctuation(joined.toString());
    }

    /** re.split(r'([,.:;?_!"()\']|--|\s)', text), each item stripped, empties dropped. */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int sepLen = PUNCTUATION.indexOf(c) >= 0 || isPythonSpace(c) ? 1
                    : (c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') ? 2 : 0;
            if (sepLen == 0) {
                i++;
                continue;
            }
            addStripped(out, text.substring(start, i));
            addStripped(out, text.substring(i, i + sepLen));
            i += sepLen;
            start = i;
        }
        addStripped(out, text.substring(start));
        return out;
    }

    /** re.sub(r'\s+([,.:;?!"()\'])', r'\1', text). */
    static String reattachPunctuation(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            int j = i;
            while (j < s.length() && isPythonSpace(s.charAt(j))) j++;
            if (j > i && j < s.length() && REATTACH.indexOf(s.charAt(j)) >= 0) {
                i = j; // drop the whitespace before the punctuation
                continue;
            }
            if (j > i) {
                out.append(s, i, j);
                i = j;
            } else {
                out.append(s.charAt(i++));
            }
        }
        return out.toString();
    }

    private static void addStripped(List<String> out, String item) {
        int a = 0, b = item.length();
        while (a < b && isPythonSpace(item.charAt(a))) a++;
        while (b > a && isPythonSpace(item.charAt(b - 1))) b--;
        if (a < b) out.add(item.substring(a, b));
    }

    /** Python's str.isspace for one char. */
    static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    private static int compareCodePoints(String a, String b) {
        return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
    }
}
