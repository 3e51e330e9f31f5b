package dev.llmsuite.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Lenient decoding against Python's bytes.decode("utf-8", "replace"), which tiktoken's decode uses:
 * the same number of U+FFFD in the same places. Fixture made by fixtures/make_lenient_utf8_fixture.py.
 */
class LenientDecodeTest {

    @Test
    void replacementMatchesPython() throws Exception {
        String json;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/lenient-utf8.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // [{"bytes": [..], "text": "..."}, ...] with ASCII-only escapes
        Matcher m = Pattern.compile("\\{\"bytes\": \\[([0-9, ]*)\\], \"text\": \"((?:[^\"\\\\]|\\\\.)*)\"\\}").matcher(json);
        int cases = 0;
        while (m.find()) {
            String[] nums = m.group(1).split(", ");
            byte[] bytes = new byte[nums.length];
            for (int i = 0; i < nums.length; i++) bytes[i] = (byte) Integer.parseInt(nums[i]);
            String expected = unescape(m.group(2));
            assertEquals(expected, Utf8.decode(bytes, bytes.length, DecodeMode.LENIENT), "case " + cases);
            cases++;
        }
        assertTrue(cases == 2000, "read " + cases + " cases");
    }

    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') { sb.append(c); continue; }
            char e = s.charAt(++i);
            switch (e) {
                case 'u' -> { sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; }
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                default -> sb.append(e);
            }
        }
        return sb.toString();
    }
}
