package dev.llmsuite.tokenizer;

import java.util.regex.Pattern;

/**
 * The pre-tokenizer patterns byte-level BPE tokenizers from {@code tokenizer.json} run here, by who uses them. A
 * file's pattern runs on every text, so only these are taken (an arbitrary one could take exponential time on a
 * crafted text); another is refused by name. Rust/Oniguruma syntax, compiled with Java's Unicode character classes
 * (so {@code \s} and {@code \p{L}} mean what they mean there).
 */
public enum PreTokenizer {
    /** ByteLevel's own pattern (use_regex true). */
    GPT2("GPT-2", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),
    LLAMA3("Llama 3 (cl100k)",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    QWEN2("Qwen2, Qwen3",
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    public final String users;
    public final String regex;
    final Pattern pattern;

    PreTokenizer(String users, String regex) {
        this.users = users;
        this.regex = regex;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** The one whose regex this is, or null. */
    static PreTokenizer ofRegex(String regex) {
        for (PreTokenizer p : values()) if (p.regex.equals(regex)) return p;
        return null;
    }
}
