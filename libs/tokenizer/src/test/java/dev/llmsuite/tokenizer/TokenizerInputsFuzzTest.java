package dev.llmsuite.tokenizer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Coverage-guided fuzzing (Jazzer) of what the tokenizer takes from outside: token ids to decode, text to
 * encode, uploaded tiktoken vocabulary files, and Hugging Face tokenizer.json files. Each may only refuse with IllegalArgumentException (or
 * IOException for a file); anything else, Errors included, is a finding. Seeds under
 * src/test/resources/.../TokenizerInputsFuzzTestInputs; {@code JAZZER_FUZZ=1} fuzzes (docs/fuzzing.md).
 */
class TokenizerInputsFuzzTest {
    private static final BpeTokenizer GPT2 = new BpeTokenizer(Encodings.gpt2());

    @FuzzTest(maxDuration = "10s")
    void decodingIds(FuzzedDataProvider data) {
        DecodeMode mode = data.consumeBoolean() ? DecodeMode.STRICT : DecodeMode.LENIENT;
        int[] ids = data.consumeInts(4096);
        try {
            GPT2.decode(ids, mode);
        } catch (IllegalArgumentException refused) {
            // an id outside the vocabulary, or (strict) bytes that are not UTF-8
        }
    }

    @FuzzTest(maxDuration = "10s")
    void encodingAndBack(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        int[] ids = GPT2.encode(text, SpecialTokenPolicy.ALLOW_ALL);
        String back = GPT2.decode(ids);
        // byte-level BPE is lossless for any text that is valid UTF-16 (lone surrogates become U+FFFD)
        if (text.chars().noneMatch(c -> Character.isSurrogate((char) c)) && !back.equals(text)) {
            throw new IllegalStateException("encode/decode changed the text: " + text);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void tiktokenFiles(byte[] file) {
        try {
            Vocabulary.fromRanks("fuzz", TiktokenFormat.readRanks(new ByteArrayInputStream(file)), Map.of());
        } catch (IOException | IllegalArgumentException refused) {
            // a malformed file, or ranks that are no byte-level vocabulary
        }
    }

    /** A tokenizer.json: read, then encode and decode a text with it. */
    @FuzzTest(maxDuration = "10s")
    void hfTokenizerFiles(byte[] json) throws IOException {
        Path file = Files.createTempFile("fuzz-tokenizer", ".json");
        try {
            Files.write(file, json);
            HfTokenizer tokenizer = HfTokenizer.read(file);
            tokenizer.decode(tokenizer.encode("The cafe\u0301's 12345 <|end|>\n\n  x!?\r\n", true));
        } catch (IOException refused) {
            // not a tokenizer.json this reader takes, said so
        } finally {
            Files.delete(file);
        }
    }
}
