package dev.llmsuite.cli;

import dev.llmsuite.engine.io.gguf.GgufVocabulary;
import dev.llmsuite.tokenizer.ByteLevel;
import dev.llmsuite.tokenizer.HfTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import dev.llmsuite.tokenizer.MergeList;
import dev.llmsuite.tokenizer.PreTokenizer;
import dev.llmsuite.tokenizer.Vocabulary;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE vocabularies as GGUF spells them (tokenizer.ggml.*: model "gpt2", every token's byte-level string
 * and llama.cpp type, the merges "a b", the pre-tokenizer by llama.cpp's name) and back: the suite's GPT-2 vocabulary,
 * a tokenizer.json's (Llama 3: pre "llama-bpe"; Qwen2/3: "qwen2"), and a file's vocabulary as the tokenizer.json that
 * {@link HfTokenizer} reads; with the check that a GGUF file's vocabulary is the one this suite serves.
 */
final class GgufTokenizers {
    private GgufTokenizers() {}

    static GgufVocabulary of(Vocabulary v) {
        List<String> merges = MergeList.of(v).stream()
                .map(p -> ByteLevel.toString(v.tokenBytes(p[0])) + " " + ByteLevel.toString(v.tokenBytes(p[1]))).toList();
        int eos = v.specialTokens().getOrDefault(Encodings.END_OF_TEXT, v.size() - 1);
        List<Long> types = new ArrayList<>(v.size());
        List<String> tokens = tokens(v, types);
        return new GgufVocabulary("gpt2", "gpt-2", tokens, types, merges, eos, eos);
    }

    /** llama.cpp's tokenizer.ggml.pre for each pre-tokenizer run here. */
    private static final Map<PreTokenizer, String> PRE = Map.of(PreTokenizer.GPT2, "gpt-2", PreTokenizer.LLAMA3, "llama-bpe",
            PreTokenizer.QWEN2, "qwen2");
    /** llama.cpp's type for an added token that is not special (text-like markup). */
    static final long USER_DEFINED = 4;

    /** A tokenizer.json's vocabulary as llama.cpp's converter writes it (added tokens CONTROL or USER_DEFINED). */
    static GgufVocabulary of(HfTokenizer t, long bos, long eos) {
        Vocabulary v = t.vocabulary();
        List<String> merges = MergeList.of(v).stream()
                .map(p -> ByteLevel.toString(v.tokenBytes(p[0])) + " " + ByteLevel.toString(v.tokenBytes(p[1]))).toList();
        Map<Integer, String> added = new HashMap<>();
        t.addedTokens().forEach((text, id) -> added.put(id, text));
        int size = Math.max(v.size(), added.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1);
        List<String> tokens = new ArrayList<>(size);
        List<Long> types = new ArrayList<>(size);
        for (int id = 0; id < size; id++) {
            byte[] bytes = id < v.size() ? v.tokenBytes(id) : null;
            if (added.containsKey(id)) {
                tokens.add(added.get(id));
                types.add(t.isSpecial(added.get(id)) ? GgufVocabulary.CONTROL : USER_DEFINED);
            } else if (bytes != null) {
                tokens.add(ByteLevel.toString(bytes));
                types.add(GgufVocabulary.NORMAL);
            } else {
                tokens.add("[PAD" + id + "]");
                types.add(0L);
            }
        }
        return new GgufVocabulary("gpt2", PRE.get(t.preTokenizer()), tokens, types, merges, bos, eos);
    }

    /**
     * A GGUF vocabulary as tokenizer.json's contents, for {@link HfTokenizer#fromJson}: BPE over the normal tokens and
     * the merges, the pre-tokenizer llama.cpp's name stands for (Llama 3's with ignore_merges, Qwen2's after NFC), the
     * CONTROL and USER_DEFINED tokens as added tokens. Other tokenizer models and pre-tokenizers are refused by name.
     */
    static Map<String, Object> tokenizerJson(GgufVocabulary g) {
        if (!g.model().equals("gpt2")) throw new IllegalArgumentException("tokenizer.ggml.model '" + g.model() + "' is not byte-level BPE (gpt2)");
        PreTokenizer pre = switch (g.pre()) {
            case "gpt-2", "default" -> PreTokenizer.GPT2;
            case "llama-bpe", "llama3" -> PreTokenizer.LLAMA3;
            case "qwen2" -> PreTokenizer.QWEN2;
            default -> throw new IllegalArgumentException("tokenizer.ggml.pre '" + g.pre() + "' is not run here (gpt-2, llama-bpe, qwen2)");
        };
        Map<String, Object> vocab = new LinkedHashMap<>();
        List<Object> added = new ArrayList<>();
        for (int id = 0; id < g.tokens().size(); id++) {
            long type = g.types().get(id);
            if (type == GgufVocabulary.CONTROL || type == USER_DEFINED) {
                added.add(Map.of("id", (long) id, "content", g.tokens().get(id), "special", type == GgufVocabulary.CONTROL));
            } else {
                vocab.putIfAbsent(g.tokens().get(id), (long) id);
            }
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", g.merges());
        model.put("ignore_merges", pre == PreTokenizer.LLAMA3);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model);
        json.put("pre_tokenizer", pre == PreTokenizer.GPT2
                ? Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true)
                : Map.of("type", "Sequence", "pretokenizers", List.of(
                        Map.of("type", "Split", "pattern", Map.of("Regex", pre.regex), "behavior", "Isolated", "invert", false),
                        Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", false))));
        if (pre == PreTokenizer.QWEN2) json.put("normalizer", Map.of("type", "NFC"));
        json.put("added_tokens", added);
        return json;
    }

    /** Every id's token string (byte-level, or a special token's text), its llama.cpp type added to types. */
    private static List<String> tokens(Vocabulary v, List<Long> types) {
        int size = v.size();
        List<String> tokens = new ArrayList<>(size);
        Map<String, Integer> specials = v.specialTokens();
        for (int id = 0; id < size; id++) {
            byte[] bytes = v.tokenBytes(id);
            String special = null;
            for (var e : specials.entrySet()) if (e.getValue() == id) special = e.getKey();
            if (bytes != null) {
                tokens.add(ByteLevel.toString(bytes));
                types.add(GgufVocabulary.NORMAL);
            } else if (special != null) {
                tokens.add(special);
                types.add(GgufVocabulary.CONTROL);
            } else {
                tokens.add("[PAD" + id + "]"); // an id no token holds, as llama.cpp's converter names it
                types.add(0L);
            }
        }
        return tokens;
    }

    /** Whether a file's tokens are GPT-2's, id for id (the vocabulary this suite's tokenizer and services use). */
    static boolean isGpt2(GgufVocabulary file) {
        return file.model().equals("gpt2") && file.tokens().equals(tokens(Encodings.gpt2(), new ArrayList<>()));
    }
}
