package dev.llmsuite.engine.io.gguf;

import java.util.List;
import java.util.Map;

/**
 * The tokenizer a GGUF file carries for llama.cpp ({@code tokenizer.ggml.*}): every token as its byte-level string
 * (GPT-2's bytes_to_unicode spelling, as in encoder.json), its type, and the merges in priority order ("a b"); whether
 * text starts with BOS, and the model's chat template ({@code tokenizer.chat_template}) if it has one.
 *
 * @param model        tokenizer.ggml.model: "gpt2" for byte-level BPE
 * @param pre          tokenizer.ggml.pre: the pre-tokenizer, "gpt-2" for GPT-2's pattern
 * @param addBos       tokenizer.ggml.add_bos_token
 * @param chatTemplate tokenizer.chat_template, or null
 */
public record GgufVocabulary(String model, String pre, List<String> tokens, List<Long> types, List<String> merges, long bos, long eos,
                             boolean addBos, String chatTemplate) {
    /** llama.cpp's token types. */
    public static final long NORMAL = 1, CONTROL = 3;

    public GgufVocabulary {
        if (tokens.size() != types.size()) throw new IllegalArgumentException("one type per token: " + tokens.size() + " tokens, " + types.size() + " types");
        if (bos < 0 || bos >= tokens.size() || eos < 0 || eos >= tokens.size()) throw new IllegalArgumentException("bos/eos outside the vocabulary");
    }

    /** Without BOS or chat template (GPT-2). */
    public GgufVocabulary(String model, String pre, List<String> tokens, List<Long> types, List<String> merges, long bos, long eos) {
        this(model, pre, tokens, types, merges, bos, eos, false, null);
    }

    /** Puts the tokenizer.ggml.* keys (and tokenizer.chat_template) into a file's metadata. */
    void writeTo(Map<String, GgufValue> meta) {
        meta.put("tokenizer.ggml.model", GgufValue.string(model));
        meta.put("tokenizer.ggml.pre", GgufValue.string(pre));
        meta.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
        meta.put("tokenizer.ggml.token_type", GgufValue.int32s(types));
        meta.put("tokenizer.ggml.merges", GgufValue.strings(merges));
        meta.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(bos));
        meta.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(eos));
        meta.put("tokenizer.ggml.add_bos_token", GgufValue.bool(addBos));
        if (chatTemplate != null) meta.put("tokenizer.chat_template", GgufValue.string(chatTemplate));
    }
}
