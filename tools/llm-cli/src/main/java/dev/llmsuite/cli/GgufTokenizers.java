package dev.llmsuite.cli;

import dev.llmsuite.engine.io.gguf.GgufVocabulary;
import dev.llmsuite.tokenizer.ByteLevel;
import dev.llmsuite.tokenizer.Encodings;
import dev.llmsuite.tokenizer.MergeList;
import dev.llmsuite.tokenizer.Vocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The suite's byte-level BPE vocabularies as GGUF spells them (tokenizer.ggml.*, GPT-2's model and pre-tokenizer),
 * and the check that a GGUF file's vocabulary is the one this suite serves.
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
