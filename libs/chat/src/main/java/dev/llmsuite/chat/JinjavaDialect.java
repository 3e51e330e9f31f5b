package dev.llmsuite.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Four places where Jinjava reads Jinja2 syntax otherwise than Jinja2, rewritten in the template's source (inside
 * {@code {{ }}} and {@code {% %}} only, never in its text or string literals) before Jinjava parses it:
 * <ul>
 *   <li>{@code seq[::-1]}, Python's reversed slice (Qwen3 walks its messages backwards with it), which Jinjava's
 *       parser refuses: becomes {@code seq|reverse}.</li>
 *   <li>A keyword argument's value: Jinjava parses {@code f(name=a - 1)} as {@code (name=a) - 1}; every keyword
 *       argument's value is put in parentheses, {@code f(name=(a - 1))} (Qwen3's
 *       {@code namespace(last_query_index=messages|length - 1)}).</li>
 *   <li>{@code not x is defined}: Jinja2 tests before negating, Jinjava negates {@code x} first (so Llama 3.1's
 *       {@code not date_string is defined} was false with no date given): becomes {@code x is not defined}, and
 *       {@code not x is not none} becomes {@code x is none}, for a name, attribute or subscript x.</li>
 *   <li>{@code loop.previtem} / {@code loop.nextitem}, which Jinjava's loop lacks: the loop's sequence indexed
 *       around {@code loop.index0} (Hermes' tool templates).</li>
 * </ul>
 * Everything else is Jinjava's: these are what the templates checked in ChatTemplateFixtureTest needed. Over 250
 * lines because each rewrite needs the same scanner of tags and string literals, which lives here once.
 */
final class JinjavaDialect {
    private JinjavaDialect() {}

    static String rewrite(String template) {
        StringBuilder out = new StringBuilder(template.length() + 64);
        int depth = 0; // block tags open
        List<String> loops = new ArrayList<>(); // the sequences of the for-loops open, innermost last
        int i = 0;
        while (i < template.length()) {
            int open = nextTag(template, i);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            String close = template.charAt(open + 1) == '{' ? "}}" : "%}";
            int end = closing(template, open + 2, close);
            if (end < 0) { // unterminated: Jinjava reports it
                out.append(template, i, template.length());
                break;
            }
            String inside = template.substring(open + 2, end);
            String sequence = null;
            if (close.equals("%}")) {
                depth += blockDepthChange(inside);
                // Jinjava renders nested blocks by recursion: thousands deep overflow the stack
                if (depth > MAX_NESTING) throw new ChatTemplateException("the chat template nests blocks more than " + MAX_NESTING + " deep");
                Matcher loop = FOR_TAG.matcher(inside);
                if (loop.matches()) sequence = loop.group(1).strip();
                else if (TAG_NAME.matcher(inside).find() && tagName(inside).equals("endfor") && !loops.isEmpty()) loops.removeLast();
            }
            String rewritten = rewriteExpression(inside);
            if (!loops.isEmpty()) rewritten = neighbours(rewritten, loops.getLast());
            if (sequence != null) loops.add(rewriteExpression(sequence));
            out.append(template, i, open + 2);
            out.append(rewritten);
            out.append(close);
            i = end + 2;
        }
        return out.toString();
    }

    private static final Pattern TAG_NAME = Pattern.compile("^[-+]?\\s*(\\w+)");
    /** {% for TARGETS in SEQUENCE %}: the sequence (a for with an if-clause or recursive is left as it is). */
    private static final Pattern FOR_TAG = Pattern.compile("^[-+]?\\s*for\\s+[\\w\\s,]+?\\s+in\\s+(.+?)\\s*[-+]?$", Pattern.DOTALL);
    private static final Pattern NEIGHBOUR = Pattern.compile("\\bloop\\.(previtem|nextitem)\\b");

    private static String tagName(String tag) {
        Matcher m = TAG_NAME.matcher(tag);
        return m.find() ? m.group(1) : "";
    }

    /**
     * {@code loop.previtem} and {@code loop.nextitem} (Jinja2's; Hermes' tool templates look back at the previous
     * message) as the loop's own sequence indexed around {@code loop.index0}, none at the ends; Jinjava's loop has
     * neither.
     */
    private static String neighbours(String expression, String sequence) {
        boolean[] inString = stringMask(expression);
        Matcher m = NEIGHBOUR.matcher(expression);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            if (inString[m.start()]) continue;
            String replacement = m.group(1).equals("previtem")
                    ? "(none if loop.first else (" + sequence + ")[loop.index0 - 1])"
                    : "(none if loop.last else (" + sequence + ")[loop.index0 + 1])";
            out.append(expression, last, m.start()).append(replacement);
            last = m.end();
        }
        return out.append(expression, last, expression.length()).toString();
    }

    /** +1 for a tag that opens a block (if, for, macro, call, filter), -1 for its end tag. */
    private static int blockDepthChange(String tag) {
        Matcher m = TAG_NAME.matcher(tag);
        if (!m.find()) return 0;
        return switch (m.group(1)) {
            case "if", "for", "macro", "call", "filter" -> 1;
            case "endif", "endfor", "endmacro", "endcall", "endfilter" -> -1;
            default -> 0;
        };
    }

    /** The next "{{" or "{%" at or after from, skipping comments. */
    private static int nextTag(String s, int from) {
        for (int i = from; i + 1 < s.length(); i++) {
            if (s.charAt(i) != '{') continue;
            char next = s.charAt(i + 1);
            if (next == '{' || next == '%') return i;
            if (next == '#') {
                int end = s.indexOf("#}", i + 2);
                if (end < 0) return -1;
                i = end + 1;
            }
        }
        return -1;
    }

    /** Where the tag closes, outside string literals. */
    private static int closing(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i + 1 < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == close.charAt(0) && s.charAt(i + 1) == close.charAt(1)) {
                return i;
            }
        }
        return -1;
    }

    /** One tag's expression, both rewrites applied outside string literals. */
    static String rewriteExpression(String expression) {
        String reversed = replaceOutsideStrings(expression, "[::-1]", "|reverse");
        return negatedTests(parenthesizeKeywordValues(reversed));
    }

    private static final Pattern NEGATED_TEST =
            Pattern.compile("\\bnot\\s+([A-Za-z_][\\w.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?(?=[A-Za-z_])");

    /** "not x is [not] test" to "x is [not ]test" with the negation moved, where the match lies outside strings. */
    private static String negatedTests(String s) {
        boolean[] inString = stringMask(s);
        Matcher m = NEGATED_TEST.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        int last = 0;
        while (m.find()) {
            if (inString[m.start()] || inString[m.end() - 1]) continue;
            out.append(s, last, m.start()).append(m.group(1)).append(m.group(2) == null ? " is not " : " is ");
            last = m.end();
        }
        return out.append(s, last, s.length()).toString();
    }

    /** Which characters lie inside a string literal (quotes included). */
    private static boolean[] stringMask(String s) {
        boolean[] mask = new boolean[s.length()];
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                mask[i] = true;
                if (c == '\\' && i + 1 < s.length()) mask[++i] = true;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
                mask[i] = true;
            }
        }
        return mask;
    }

    private static String replaceOutsideStrings(String s, String target, String replacement) {
        StringBuilder out = new StringBuilder(s.length());
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == '\\' && i + 1 < s.length()) out.append(s.charAt(++i));
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
                out.append(c);
            } else if (s.startsWith(target, i)) {
                out.append(replacement);
                i += target.length() - 1;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** An open call's parenthesis: where the keyword value being read began (-1: none). */
    private static final class Call {
        int valueStart = -1;
    }

    /** Brackets nest a handful deep in real templates. */
    static final int MAX_NESTING = 64;

    private static String parenthesizeKeywordValues(String s) {
        List<int[]> wraps = new ArrayList<>(); // [start, end) of each keyword value
        List<Call> calls = new ArrayList<>();   // open "(" of calls; null for other brackets
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
                continue;
            }
            Call top = calls.isEmpty() ? null : calls.getLast();
            switch (c) {
                case '\'', '"' -> quote = c;
                case '(' -> open(calls, isCall(s, i) ? new Call() : null);
                case '[', '{' -> open(calls, null);
                case ']', '}' -> { if (!calls.isEmpty()) calls.removeLast(); }
                case ')' -> {
                    if (top != null && top.valueStart >= 0) wraps.add(new int[] {top.valueStart, i});
                    if (!calls.isEmpty()) calls.removeLast();
                }
                case ',' -> {
                    if (top != null && top.valueStart >= 0) {
                        wraps.add(new int[] {top.valueStart, i});
                        top.valueStart = -1;
                    }
                }
                case '=' -> {
                    boolean comparison = (i + 1 < s.length() && s.charAt(i + 1) == '=')
                            || (i > 0 && "=!<>".indexOf(s.charAt(i - 1)) >= 0);
                    if (top != null && !comparison) top.valueStart = i + 1;
                    if (comparison && i + 1 < s.length() && s.charAt(i + 1) == '=') i++;
                }
                default -> {}
            }
        }
        if (wraps.isEmpty()) return s;
        boolean[] opens = new boolean[s.length() + 1];
        boolean[] closes = new boolean[s.length() + 1];
        for (int[] w : wraps) {
            opens[w[0]] = true;
            closes[w[1]] = true;
        }
        StringBuilder out = new StringBuilder(s.length() + 2 * wraps.size());
        for (int i = 0; i < s.length(); i++) { // a value ends at "," or ")" and starts after "=": never the same index
            if (closes[i]) out.append(')');
            if (opens[i]) out.append('(');
            out.append(s.charAt(i));
        }
        return out.toString();
    }

    private static void open(List<Call> calls, Call call) {
        // Jinjava's parser takes minutes over thousands of nested brackets
        if (calls.size() == MAX_NESTING) throw new ChatTemplateException("the chat template nests brackets more than " + MAX_NESTING + " deep");
        calls.add(call);
    }

    /** A "(" right after a name, a closing bracket or a quote is a call's; otherwise it only groups. */
    private static boolean isCall(String s, int paren) {
        int j = paren - 1;
        while (j >= 0 && s.charAt(j) == ' ') j--;
        if (j < 0) return false;
        char c = s.charAt(j);
        return Character.isLetterOrDigit(c) || c == '_' || c == ')' || c == ']';
    }
}
