package dev.llmsuite.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * tiktoken's rank files: one token a line, {@code base64(bytes) SP rank}. Special tokens are not part
 * of the format; this suite keeps them in a sibling file ({@code NAME.tiktoken.special}) of
 * {@code name id} lines.
 */
public final class TiktokenFormat {
    private TiktokenFormat() {}

    /** Reads ranks: index = rank (gaps stay null). Malformed lines fail with their line number. */
    public static byte[][] readRanks(InputStream in) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        byte[][] ranks = new byte[1024][];
        int max = -1;
        String line;
        int lineNo = 0;
        Base64.Decoder b64 = Base64.getDecoder();
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            int sp = line.indexOf(' ');
            if (sp <= 0 || sp != line.lastIndexOf(' ')) throw bad(lineNo, "expected 'base64 rank'");
            byte[] token;
            int rank;
            try {
                token = b64.decode(line.substring(0, sp));
                rank = Integer.parseInt(line.substring(sp + 1));
            } catch (IllegalArgumentException e) {
                throw bad(lineNo, e.getMessage());
            }
            if (rank < 0 || rank > 10_000_000) throw bad(lineNo, "rank " + rank + " out of range");
            if (token.length == 0) throw bad(lineNo, "empty token");
            if (rank >= ranks.length) ranks = Arrays.copyOf(ranks, Math.max(rank + 1, ranks.length * 2));
            if (ranks[rank] != null) throw bad(lineNo, "rank " + rank + " appears twice");
            ranks[rank] = token;
            max = Math.max(max, rank);
        }
        if (max < 0) throw new IOException("tiktoken file is empty");
        return Arrays.copyOf(ranks, max + 1);
    }

    public static void writeRanks(Vocabulary v, OutputStream out) throws IOException {
        Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.US_ASCII);
        Base64.Encoder b64 = Base64.getEncoder();
        for (int id = 0; id < v.ordinaryCount(); id++) {
            byte[] t = v.tokenBytes(id);
            if (t != null) w.write(b64.encodeToString(t) + " " + id + "\n");
        }
        w.flush();
    }

    public static Map<String, Integer> readSpecials(InputStream in) throws IOException {
        Map<String, Integer> specials = new LinkedHashMap<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int lineNo = 0;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            int sp = line.lastIndexOf(' ');
            try {
                specials.put(line.substring(0, sp), Integer.parseInt(line.substring(sp + 1)));
            } catch (RuntimeException e) {
                throw new IOException("special-token file line " + lineNo + ": expected 'name id'");
            }
        }
        return specials;
    }

    public static void writeSpecials(Vocabulary v, OutputStream out) throws IOException {
        Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
        for (var e : v.specialTokens().entrySet()) w.write(e.getKey() + " " + e.getValue() + "\n");
        w.flush();
    }

    private static IOException bad(int line, String why) {
        return new IOException("tiktoken file line " + line + ": " + why);
    }
}
