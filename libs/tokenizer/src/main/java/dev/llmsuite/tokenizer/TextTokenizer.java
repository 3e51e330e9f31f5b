package dev.llmsuite.tokenizer;

/**
 * What a server needs of a model's tokenizer, whichever kind it is: GPT-2's ({@link BpeTokenizer}) or a
 * tokenizer.json's ({@link HfTokenizer}, Llama 3, Qwen3). Both are byte-level BPE, so every id stands for exact bytes.
 */
public interface TextTokenizer {

    Vocabulary vocabulary();

    /** A user's text: spellings of special tokens stay plain text. */
    int[] encodeOrdinary(String text);

    /**
     * A completion's prompt: spellings of special tokens ({@code <|endoftext|>}, {@code <|eot_id|>}) are those tokens,
     * as OpenAI's, vLLM's and llama.cpp's servers read a raw prompt.
     */
    int[] encodeWithSpecialTokens(String text);

    /** The exact bytes the ids stand for (special tokens as their spelling); an id outside the vocabulary is an error. */
    byte[] decodeBytes(int[] ids);

    /** The text of ids; bytes that are not whole UTF-8 characters read as U+FFFD. */
    String decode(int[] ids);
}
