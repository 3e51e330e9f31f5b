package dev.llmsuite.tokenizer;

import dev.llmsuite.records.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OpenAI's and Hugging Face's GPT-2 files: {@code encoder.json} (byte-level token string → id) and
 * {@code vocab.bpe} (merges in priority order, after a version line). Entries of encoder.json named in
 * {@code specials} become special tokens.
 */
public final class Gpt2FilesFormat {
    private Gpt2FilesFormat() {}

    public static Vocabulary read(String name, InputStream encoderJson, InputStream vocabBpe, Set<String> specials)
            throws IOException {
        Map<String, Integer> encoder = tokenIds(new String(encoderJson.readAllBytes(), StandardCharsets.UTF_8));
        int max = encoder.values().stream().mapToInt(Integer::intValue).max().orElseThrow(
                () -> new IOException("encoder.json is empty"));
        byte[][] tokens = new byte[max + 1][];
        Map<String, Integer> specialIds = new LinkedHashMap<>();
        Map<String, Integer> byString = new HashMap<>();
        for (var e : encoder.entrySet()) {
            int id = e.getValue();
            if (id < 0) throw new IOException("encoder.json: negative id for " + e.getKey());
            if (specials.contains(e.getKey())) {
                specialIds.put(e.getKey(), id);
                continue;
            }
            if (tokens[id] != null) throw new IOException("encoder.json: id " + id + " appears twice");
            try {
                tokens[id] = ByteLevel.toBytes(e.getKey());
            } catch (IllegalArgumentException ex) {
                throw new IOException("encoder.json: " + ex.getMessage());
            }
            byString.put(e.getKey(), id);
        }
        List<int[]> merges = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(vocabBpe, StandardCharsets.UTF_8));
        String line;
        int lineNo = 0;
        while ((line = r.readLine()) != null) {
            lineNo++;
            if (line.startsWith("#version") || line.isBlank()) continue;
            int sp = line.indexOf(' ');
            if (sp <= 0 || sp != line.lastIndexOf(' ')) throw new IOException("vocab.bpe line " + lineNo + ": expected 'a b'");
            Integer a = byString.get(line.substring(0, sp));
            Integer b = byString.get(line.substring(sp + 1));
            if (a == null || b == null) throw new IOException("vocab.bpe line " + lineNo + ": a part is not in encoder.json");
            merges.add(new int[] {a, b});
        }
        try {
            return Vocabulary.fromMerges(name, tokens, merges, specialIds);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** encoder.json: one object of token strings and integer ids, nothing else. */
    private static Map<String, Integer> tokenIds(String text) throws IOException {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException("encoder.json: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> object)) throw new IOException("encoder.json: expected an object of token ids");
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (var e : object.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id != id.intValue()) {
                throw new IOException("encoder.json: the id of " + e.getKey() + " is not an integer: " + e.getValue());
            }
            ids.put((String) e.getKey(), id.intValue());
        }
        return ids;
    }
}
