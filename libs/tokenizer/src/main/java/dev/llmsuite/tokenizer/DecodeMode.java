package dev.llmsuite.tokenizer;

/** How decoding treats bytes that are not valid UTF-8 (a token boundary inside a character, say). */
public enum DecodeMode {
    /** Fail, saying where. */
    STRICT,
    /** Replace each maximal invalid subsequence with U+FFFD, as Python's errors="replace" and tiktoken do. */
    LENIENT
}
