package dev.llmsuite.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Hugging Face {@code tokenizer.json}, parsed, into an {@link HfTokenizer}: the BPE model's vocabulary (byte-level
 * token strings → ids) and merges ("a b" or [a, b], in rank order), the pre-tokenizer (Split by a regex, Isolated, then
 * ByteLevel without its own regex; or ByteLevel with GPT-2's), the normalizer (NFC or none) and the added tokens.
 * The pattern is Rust/Oniguruma syntax, compiled with Java's Unicode character classes (so {@code \s} and {@code \p{L}}
 * mean what they mean there). What is not implemented is refused by name: another model type, byte fallback, word
 * prefixes or suffixes, BPE dropout, other pre-tokenizers or normalizers, added tokens that strip spaces, a pattern
 * that is not one of {@link PreTokenizer}'s.
 */
final class TokenizerJson {
    private TokenizerJson() {}

    static HfTokenizer parse(String name, Map<?, ?> json) {
        Map<?, ?> model = object(json.get("model"), "model");
        if (!"BPE".equals(model.get("type"))) throw new IllegalArgumentException("model type " + model.get("type") + " is not BPE");
        if (Boolean.TRUE.equals(model.get("byte_fallback"))) throw new IllegalArgumentException("byte_fallback BPE (SentencePiece style) is not read here");
        for (String affix : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (model.get(affix) instanceof String s && !s.isEmpty()) throw new IllegalArgumentException(affix + " '" + s + "' is not supported");
        }
        if (model.get("dropout") instanceof Number) throw new IllegalArgumentException("BPE dropout is for training, not read here");
        PreTokenizer preTokenizer = preTokenizer(json.get("pre_tokenizer"));
        boolean nfc = normalizer(json.get("normalizer"));

        Map<?, ?> vocabJson = object(model.get("vocab"), "model.vocab");
        int size = 0;
        for (Object id : vocabJson.values()) size = Math.max(size, Math.toIntExact(integer(id, "a vocabulary id")) + 1);
        if (size > 1 << 24) throw new IllegalArgumentException("a vocabulary id of " + (size - 1));
        byte[][] tokens = new byte[size][];
        Map<String, Integer> ids = new HashMap<>();
        for (var e : vocabJson.entrySet()) {
            int id = Math.toIntExact(integer(e.getValue(), "a vocabulary id"));
            if (id < 0 || tokens[id] != null) throw new IllegalArgumentException("vocabulary id " + id + " is negative or used twice");
            tokens[id] = ByteLevel.toBytes((String) e.getKey());
            ids.put((String) e.getKey(), id);
        }
        List<int[]> merges = new ArrayList<>();
        for (Object m : list(model.get("merges"), "model.merges")) {
            String left, right;
            if (m instanceof String s) {
                int space = s.indexOf(' ');
                if (space <= 0 || space != s.lastIndexOf(' ')) throw new IllegalArgumentException("merge '" + s + "' is not two tokens");
                left = s.substring(0, space);
                right = s.substring(space + 1);
            } else if (m instanceof List<?> pair && pair.size() == 2) {
                left = (String) pair.get(0);
                right = (String) pair.get(1);
            } else {
                throw new IllegalArgumentException("a merge that is neither 'a b' nor [a, b]");
            }
            Integer a = ids.get(left), b = ids.get(right);
            if (a == null || b == null) throw new IllegalArgumentException("merge " + (merges.size() + 1) + " names a token not in the vocabulary");
            merges.add(new int[] {a, b});
        }
        Map<String, Integer> added = new LinkedHashMap<>();
        Set<String> plainAdded = new HashSet<>(); // added tokens with "special": false (Qwen's <think>, <tool_call>)
        for (Object o : list(json.get("added_tokens") == null ? List.of() : json.get("added_tokens"), "added_tokens")) {
            Map<?, ?> t = object(o, "an added token");
            for (String flag : new String[] {"lstrip", "rstrip", "single_word"}) {
                if (Boolean.TRUE.equals(t.get(flag))) throw new IllegalArgumentException("added token " + t.get("content") + " sets " + flag + ", not supported");
            }
            int id = Math.toIntExact(integer(t.get("id"), "an added token's id"));
            if (id < 0) throw new IllegalArgumentException("added token id " + id);
            String content = (String) t.get("content");
            if (content == null || content.isEmpty()) throw new IllegalArgumentException("an added token without content");
            if (id < size && tokens[id] != null) {
                // an added token that is also in the model's vocabulary keeps its id there and its text here
                if (!Arrays.equals(tokens[id], content.getBytes(StandardCharsets.UTF_8))) {
                    throw new IllegalArgumentException("added token " + content + " reuses vocabulary id " + id);
                }
                tokens[id] = null;
            }
            added.put(content, id);
            if (Boolean.FALSE.equals(t.get("special"))) plainAdded.add(content);
        }
        Vocabulary vocab = Vocabulary.fromMerges("hf:" + name, tokens, merges, added);
        return new HfTokenizer(vocab, preTokenizer, nfc, Boolean.TRUE.equals(model.get("ignore_merges")), added, plainAdded);
    }

    /** The pre-tokenizer's pattern: Split(Regex, Isolated) then ByteLevel without its own regex, or ByteLevel's GPT-2 one. */
    private static PreTokenizer preTokenizer(Object pre) {
        Map<?, ?> p = object(pre, "pre_tokenizer");
        List<?> steps = "Sequence".equals(p.get("type")) ? list(p.get("pretokenizers"), "pretokenizers") : List.of(p);
        String regex = null;
        boolean byteLevel = false;
        for (Object o : steps) {
            Map<?, ?> step = object(o, "a pre-tokenizer");
            switch (String.valueOf(step.get("type"))) {
                case "Split" -> {
                    if (regex != null || byteLevel) throw new IllegalArgumentException("a Split after another step is not supported");
                    Map<?, ?> pat = object(step.get("pattern"), "Split.pattern");
                    if (!(pat.get("Regex") instanceof String r)) throw new IllegalArgumentException("a Split by a plain string is not supported");
                    if (!"Isolated".equals(step.get("behavior")) || Boolean.TRUE.equals(step.get("invert"))) {
                        throw new IllegalArgumentException("Split behavior " + step.get("behavior") + " is not supported (Isolated is)");
                    }
                    regex = r;
                }
                case "ByteLevel" -> {
                    if (Boolean.TRUE.equals(step.get("add_prefix_space"))) throw new IllegalArgumentException("ByteLevel add_prefix_space is not supported");
                    if (!Boolean.FALSE.equals(step.get("use_regex"))) {
                        if (regex != null) throw new IllegalArgumentException("two pre-tokenizer patterns");
                        regex = PreTokenizer.GPT2.regex;
                    }
                    byteLevel = true;
                }
                default -> throw new IllegalArgumentException("pre-tokenizer " + step.get("type") + " is not supported");
            }
        }
        if (!byteLevel || regex == null) throw new IllegalArgumentException("not a byte-level BPE with a splitting pattern");
        PreTokenizer preTokenizer = PreTokenizer.ofRegex(regex);
        if (preTokenizer == null) {
            throw new IllegalArgumentException("the pre-tokenizer pattern is not one run here ("
                    + Arrays.stream(PreTokenizer.values()).map(known -> known.users).collect(Collectors.joining(", ")) + ")");
        }
        return preTokenizer;
    }

    private static boolean normalizer(Object n) {
        if (n == null) return false;
        Map<?, ?> m = object(n, "normalizer");
        if ("NFC".equals(m.get("type"))) return true;
        throw new IllegalArgumentException("normalizer " + m.get("type") + " is not supported (NFC or none)");
    }

    private static Map<?, ?> object(Object o, String what) {
        if (o instanceof Map<?, ?> m) return m;
        throw new IllegalArgumentException(what + " is not a JSON object");
    }

    private static List<?> list(Object o, String what) {
        if (o instanceof List<?> l) return l;
        throw new IllegalArgumentException(what + " is not a JSON array");
    }

    private static long integer(Object o, String what) {
        if (o instanceof Long l) return l;
        throw new IllegalArgumentException(what + " is not an integer");
    }
}
