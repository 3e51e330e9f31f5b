package dev.llmsuite.services.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The wiring tokenizer: one id per UTF-8 byte (vocabulary of 256 plus end-of-text = 256). It stands in
 * until the GPT-2 BPE library arrives; the record formats and the flow around it are final.
 */
final class Utf8ByteTokenizer {
    static final int END_OF_TEXT = 256;
    static final String VOCABULARY_HASH = "utf8-bytes-257";

    /** Rejects bytes that are not valid UTF-8, saying where. */
    static void requireValidUtf8(byte[] text) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(text));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("document is not valid UTF-8: " + e.getMessage());
        }
    }

    static int[] encode(byte[] utf8) {
        int[] ids = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) ids[i] = utf8[i] & 0xFF;
        return ids;
    }
}
