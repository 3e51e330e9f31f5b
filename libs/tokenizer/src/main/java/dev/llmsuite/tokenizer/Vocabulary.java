package dev.llmsuite.tokenizer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE vocabulary: the bytes of every token id, the merges, and the special tokens.
 * Its {@link #hash()} (SHA-256 over the ranks and special tokens in tiktoken's text form) names it
 * exactly; every token record downstream carries it.
 */
public final class Vocabulary {
    private final String name;
    private final byte[][] tokens;          // id -> bytes (null for ids held by special tokens)
    private final Map<String, Integer> specials;
    private final TokenIndex index;
    private final MergeTable merges;
    /** The merges in order when the vocabulary was built from a list of them (vocab.bpe, tokenizer.json); else null. */
    private final List<int[]> mergeList;
    private final int[] byteIds = new int[256];
    private final String hash;
    private final int longestTokenBytes;

    private Vocabulary(String name, byte[][] tokens, Map<String, Integer> specials, MergeTable merges, List<int[]> mergeList) {
        this.name = name;
        this.mergeList = mergeList;
        this.tokens = tokens;
        this.specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
        this.index = new TokenIndex(tokens);
        this.merges = merges;
        byte[] one = new byte[1];
        for (int b = 0; b < 256; b++) {
            one[0] = (byte) b;
            byteIds[b] = index.get(one, 0, 1);
            if (byteIds[b] < 0) throw new IllegalArgumentException(name + ": byte " + b + " has no token");
        }
        for (var e : specials.entrySet()) {
            int id = e.getValue();
            if (id < 0) throw new IllegalArgumentException(name + ": special token " + e.getKey() + " has a negative id");
            if (id < tokens.length && tokens[id] != null) {
                throw new IllegalArgumentException(name + ": special token " + e.getKey() + " reuses id " + id);
            }
        }
        this.hash = computeHash();
        int longest = 1;
        for (byte[] t : tokens) if (t != null) longest = Math.max(longest, t.length);
        for (String special : specials.keySet()) longest = Math.max(longest, special.getBytes(StandardCharsets.UTF_8).length);
        this.longestTokenBytes = longest;
    }

    /**
     * From tiktoken ranks (id = rank): any adjacent pair whose concatenation is a token may merge, the
     * lower rank first. This is tiktoken's rule.
     */
    public static Vocabulary fromRanks(String name, byte[][] ranks, Map<String, Integer> specials) {
        TokenIndex index = new TokenIndex(ranks);
        int tokens = 0;
        for (byte[] t : ranks) if (t != null) tokens++;
        MergeTable merges = new MergeTable(tokens * 4); // sized by the tokens there are, not the highest rank (it grows)
        for (int id = 0; id < ranks.length; id++) {
            byte[] t = ranks[id];
            if (t == null || t.length < 2) continue;
            for (int k = 1; k < t.length; k++) {
                int left = index.get(t, 0, k);
                int right = left < 0 ? -1 : index.get(t, k, t.length - k);
                if (right >= 0) merges.put(left, right, id, id);
            }
        }
        return new Vocabulary(name, ranks, specials, merges, null);
    }

    /** From an id table and an ordered merge list (vocab.bpe): only listed merges, earlier first. */
    public static Vocabulary fromMerges(String name, byte[][] tokens, List<int[]> mergePairs, Map<String, Integer> specials) {
        TokenIndex index = new TokenIndex(tokens);
        MergeTable merges = new MergeTable(mergePairs.size());
        byte[] buf = new byte[256];
        for (int i = 0; i < mergePairs.size(); i++) {
            int[] p = mergePairs.get(i);
            byte[] a = tokens[p[0]], b = tokens[p[1]];
            if (buf.length < a.length + b.length) buf = new byte[a.length + b.length];
            System.arraycopy(a, 0, buf, 0, a.length);
            System.arraycopy(b, 0, buf, a.length, b.length);
            int merged = index.get(buf, 0, a.length + b.length);
            if (merged < 0) {
                throw new IllegalArgumentException(name + ": merge " + (i + 1) + " makes a token that is not in the vocabulary");
            }
            merges.put(p[0], p[1], merged, i);
        }
        return new Vocabulary(name, tokens, specials, merges, mergePairs.stream().map(int[]::clone).toList());
    }

    public String name() { return name; }

    /** SHA-256 (hex) of the ranks and special tokens. */
    public String hash() { return hash; }

    /** Number of ids, counting special tokens: every valid id is below this. */
    public int size() {
        int max = tokens.length;
        for (int id : specials.values()) max = Math.max(max, id + 1);
        return max;
    }

    public Map<String, Integer> specialTokens() { return specials; }

    /** The bytes of an ordinary token, or null for a special-token id or a gap. */
    public byte[] tokenBytes(int id) { return id >= 0 && id < tokens.length ? tokens[id] : null; }

    public int ordinaryCount() { return tokens.length; }

    /**
     * The most bytes one token stands for (special tokens' text included). A text of n chars (UTF-16) is at
     * least n / this many tokens, since a char is at least one byte: a bound that costs nothing to compute.
     */
    public int longestTokenBytes() { return longestTokenBytes; }

    TokenIndex index() { return index; }

    MergeTable merges() { return merges; }

    List<int[]> mergeList() { return mergeList; }

    int[] byteIds() { return byteIds; }

    private String computeHash() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            Base64.Encoder b64 = Base64.getEncoder();
            for (int id = 0; id < tokens.length; id++) {
                if (tokens[id] == null) continue;
                sha.update((b64.encodeToString(tokens[id]) + " " + id + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            for (var e : specials.entrySet()) {
                sha.update(("special " + e.getKey() + " " + e.getValue() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
