package dev.llmsuite.tokenizer;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads exactly one shape of JSON, a flat object of string keys and integer values (encoder.json). */
final class FlatJson {
    private FlatJson() {}

    static Map<String, Integer> readStringIntObject(String s) throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        int[] pos = {skip(s, 0)};
        expect(s, pos, '{');
        if (peek(s, pos) == '}') return out;
        while (true) {
            String key = string(s, pos);
            expect(s, pos, ':');
            int start = pos[0] = skip(s, pos[0]);
            while (pos[0] < s.length() && (Character.isDigit(s.charAt(pos[0])) || s.charAt(pos[0]) == '-')) pos[0]++;
            try {
                out.put(key, Integer.parseInt(s.substring(start, pos[0])));
            } catch (NumberFormatException e) {
                throw new IOException("encoder.json: expected an integer at char " + start);
            }
            char c = peek(s, pos);
            pos[0]++;
            if (c == '}') return out;
            if (c != ',') throw new IOException("encoder.json: expected ',' or '}' at char " + (pos[0] - 1));
        }
    }

    private static String string(String s, int[] pos) throws IOException {
        expect(s, pos, '"');
        StringBuilder sb = new StringBuilder();
        int i = pos[0];
        while (true) {
            if (i >= s.length()) throw new IOException("encoder.json: unterminated string");
            char c = s.charAt(i++);
            if (c == '"') break;
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> throw new IOException("encoder.json: bad escape \\" + e);
            }
        }
        pos[0] = i;
        return sb.toString();
    }

    private static void expect(String s, int[] pos, char c) throws IOException {
        pos[0] = skip(s, pos[0]);
        if (pos[0] >= s.length() || s.charAt(pos[0]) != c) throw new IOException("encoder.json: expected '" + c + "' at char " + pos[0]);
        pos[0]++;
    }

    private static char peek(String s, int[] pos) throws IOException {
        pos[0] = skip(s, pos[0]);
        if (pos[0] >= s.length()) throw new IOException("encoder.json: unexpected end");
        return s.charAt(pos[0]);
    }

    private static int skip(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }
}
