package dev.llmsuite.chat;

import dev.llmsuite.records.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * JSON text exactly as Python's {@code json.dumps(value, ensure_ascii=False, indent=..., sort_keys=...)} writes it,
 * which is what transformers' {@code tojson} filter gives templates: {@code ", "} and {@code ": "} between items when
 * not indented ({@code ","} at line ends when indented), non-ASCII characters kept, control characters escaped, floats
 * in Python's shortest form ({@code 1.0}, {@code 1e-05}, {@code 1e+16}). Tool definitions reach the prompt through this
 * filter, so one space differently would be a different prompt from the one the model was trained on.
 */
final class PythonJson {
    private final Integer indent;
    private final boolean sortKeys;
    private final long maxChars;
    private final StringBuilder out = new StringBuilder();

    private PythonJson(Integer indent, boolean sortKeys, long maxChars) {
        this.indent = indent;
        this.sortKeys = sortKeys;
        this.maxChars = maxChars;
    }

    /** {@code value} written as JSON; a value nested deeper than 64 levels or text beyond maxChars is refused. */
    static String dumps(Object value, Integer indent, boolean sortKeys, long maxChars) {
        PythonJson json = new PythonJson(indent, sortKeys, maxChars);
        json.write(value, 0);
        return json.out.toString();
    }

    private void write(Object value, int depth) {
        if (depth > 64) throw new ChatTemplateException("tojson: the value is nested more than 64 levels deep");
        if (out.length() > maxChars) throw new ChatTemplateException("tojson: the text is longer than " + maxChars + " characters");
        switch (value) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Integer i -> out.append(i);
            case Long l -> out.append(l);
            case Short s -> out.append(s);
            case Byte b -> out.append(b);
            case BigInteger i -> out.append(i);
            case Double d -> out.append(floatRepr(d));
            case Float f -> out.append(floatRepr(f.doubleValue()));
            case BigDecimal d -> out.append(floatRepr(d.doubleValue()));
            case Map<?, ?> map -> writeObject(map, depth);
            case Collection<?> list -> writeArray(list, depth);
            case Object[] array -> writeArray(List.of(array), depth);
            default -> writeString(value.toString());
        }
    }

    private void writeObject(Map<?, ?> map, int depth) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (sortKeys) entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> entry : entries) {
            separate(first, depth + 1);
            first = false;
            writeString(String.valueOf(entry.getKey()));
            out.append(": ");
            write(entry.getValue(), depth + 1);
        }
        newline(depth);
        out.append('}');
    }

    private void writeArray(Collection<?> list, int depth) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        boolean first = true;
        for (Object item : list) {
            separate(first, depth + 1);
            first = false;
            write(item, depth + 1);
        }
        newline(depth);
        out.append(']');
    }

    /** Python's item separator: ", " on one line, "," and a new indented line when indenting. */
    private void separate(boolean first, int depth) {
        if (!first) out.append(indent == null ? ", " : ",");
        newline(depth);
    }

    private void newline(int depth) {
        if (indent == null) return;
        out.append('\n');
        out.repeat(' ', indent * depth);
    }

    private void writeString(String s) {
        Json.quote(s, out); // the escapes Python writes; everything else (non-ASCII too) as is
    }

    /** Python's repr of a float: the shortest digits that read back, exponent form below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        // Java's Double.toString gives the shortest digits too (JDK 19+); only the layout differs.
        BigDecimal shortest = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = shortest.unscaledValue().toString();
        int exponent = digits.length() - 1 - shortest.scale(); // d = digits[0].digits[1..] × 10^exponent
        String sign = d < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + digits;
        if (digits.length() <= exponent + 1) return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
        return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
    }
}
