package dev.llmsuite.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * tiktoken's rank files: one token a line, {@code base64(bytes) SP rank}. Special tokens are not part
 * of the format; this suite keeps them in a sibling file ({@code NAME.tiktoken.special}) of
 * {@code name id} lines.
 */
public final class TiktokenFormat {
    private TiktokenFormat() {}

    /**
     * Reads ranks: index = rank (gaps stay null). Malformed lines fail with their line number. Ranks are held by
     * rank until the end, so memory follows the file's size, not the highest rank it claims; a file whose ranks are
     * mostly gaps is refused (a real vocabulary is dense).
     */
    public static byte[][] readRanks(InputStream in) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        Map<Integer, byte[]> byRank = new HashMap<>();
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
            if (byRank.putIfAbsent(rank, token) != null) throw bad(lineNo, "rank " + rank + " appears twice");
            max = Math.max(max, rank);
        }
        if (max < 0) throw new IOException("tiktoken file is empty");
        if (max + 1L > 2L * byRank.size() + 1024) {
            throw new IOException("ranks go up to " + max + " but the file holds " + byRank.size() + " tokens: not a tiktoken vocabulary");
        }
        byte[][] ranks = new byte[max + 1][];
        byRank.forEach((rank, token) -> ranks[rank] = token);
        return ranks;
    }

    public static void writeRanks(Vocabulary v, OutputStream out) throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.US_ASCII);
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
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        for (var e : v.specialTokens().entrySet()) w.write(e.getKey() + " " + e.getValue() + "\n");
        w.flush();
    }

    private static IOException bad(int line, String why) {
        return new IOException("tiktoken file line " + line + ": " + why);
    }
}
