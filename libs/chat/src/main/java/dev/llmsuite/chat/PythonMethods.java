package dev.llmsuite.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * The Python methods chat templates call on strings and dictionaries, for Jinjava, which would otherwise look them
 * up on {@code java.lang.String} ({@code message.content.split('</think>')[-1].lstrip('\n')} in Qwen3's template;
 * {@code startswith}, {@code strip(chars)}, {@code dict.get(key, default)}). Python's semantics, not Java's:
 * {@code split} takes a plain separator (no regular expression) or none for runs of whitespace, {@code strip(chars)}
 * strips a set of characters.
 *
 * <p>Any other method on a string is refused: a template is code from a model's files, and Java's own string methods
 * ({@code repeat}, {@code getBytes}, ...) are not part of the language it was written for. Results are capped at
 * {@code maxChars} before they are built.
 */
final class PythonMethods extends ELResolver {
    private final long maxChars;

    PythonMethods(long maxChars) {
        this.maxChars = maxChars;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] args) {
        if (method == null) return null;
        String name = method.toString();
        Object[] a = args == null ? new Object[0] : args;
        Object result;
        if (base instanceof String s) {
            result = stringMethod(s, name, a);
        } else if (base instanceof Map<?, ?> map && name.equals("get") && (a.length == 1 || a.length == 2)) {
            result = map.containsKey(a[0]) ? map.get(a[0]) : (a.length == 2 ? a[1] : null);
            context.setPropertyResolved(true);
            return result;
        } else {
            return null; // lists and dictionaries: Jinjava's own Python collections answer the rest
        }
        context.setPropertyResolved(true);
        return result;
    }

    private Object stringMethod(String s, String name, Object[] a) {
        return switch (name) {
            case "strip" -> rstrip(lstrip(s, chars(a)), chars(a));
            case "lstrip" -> lstrip(s, chars(a));
            case "rstrip" -> rstrip(s, chars(a));
            case "startswith" -> matchesAny(a, s::startsWith);
            case "endswith" -> matchesAny(a, s::endsWith);
            case "split" -> split(s, a.length > 0 && a[0] != null ? text(a[0]) : null, a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "replace" -> replace(s, text(a[0]), text(a[1]));
            case "find" -> s.indexOf(text(a[0]));
            case "count" -> count(s, text(a[0]));
            case "join" -> join(s, a[0]);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            default -> throw new ChatTemplateException("str." + name + "() is not supported by this chat-template renderer");
        };
    }

    private static String chars(Object[] a) {
        return a.length == 0 || a[0] == null ? null : text(a[0]);
    }

    private static String text(Object o) {
        if (o == null) throw new ChatTemplateException("a string method got None where it needs a string");
        return o.toString();
    }

    private static boolean stripped(String chars, char c) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && stripped(chars, s.charAt(i))) i++;
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && stripped(chars, s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    /** startswith/endswith take a string or a tuple of strings. */
    private static boolean matchesAny(Object[] a, Predicate<String> test) {
        if (a.length > 0 && a[0] instanceof Collection<?> options) return options.stream().anyMatch(o -> test.test(text(o)));
        return test.test(text(a.length > 0 ? a[0] : null));
    }

    static List<String> split(String s, String separator, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (separator == null) { // runs of whitespace, no empty strings
            int i = 0;
            while (i < s.length()) {
                while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
                if (i == s.length()) break;
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(s.substring(i)); // Python keeps the rest as it is, trailing whitespace too
                    break;
                }
                int start = i;
                while (i < s.length() && !Character.isWhitespace(s.charAt(i))) i++;
                parts.add(s.substring(start, i));
            }
            return parts;
        }
        if (separator.isEmpty()) throw new ChatTemplateException("str.split(): empty separator");
        int from = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + separator.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (char c : s.toCharArray()) {
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static int count(String s, String part) {
        if (part.isEmpty()) return s.length() + 1;
        int n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + part.length())) n++;
        return n;
    }

    private String replace(String s, String old, String replacement) {
        long occurrences = count(s, old);
        long length = s.length() + occurrences * (replacement.length() - (long) old.length());
        if (length > maxChars) throw new ChatTemplateException("str.replace() would make " + length + " characters (limit " + maxChars + ")");
        return s.replace(old, replacement);
    }

    private String join(String separator, Object items) {
        if (!(items instanceof Iterable<?> iterable)) throw new ChatTemplateException("str.join() needs a list of strings");
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Object item : iterable) {
            if (!first) out.append(separator);
            first = false;
            out.append(text(item));
            if (out.length() > maxChars) throw new ChatTemplateException("str.join() would make more than " + maxChars + " characters");
        }
        return out.toString();
    }

    // Properties are left to the resolvers after this one.
    @Override public Object getValue(ELContext context, Object base, Object property) { return null; }
    @Override public Class<?> getType(ELContext context, Object base, Object property) { return null; }
    @Override public void setValue(ELContext context, Object base, Object property, Object value) {}
    @Override public boolean isReadOnly(ELContext context, Object base, Object property) { return false; }
    @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) { return null; }
    @Override public Class<?> getCommonPropertyType(ELContext context, Object base) { return null; }
}
