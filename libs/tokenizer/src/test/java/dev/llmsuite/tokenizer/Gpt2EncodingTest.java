package dev.llmsuite.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Our GPT-2 ids against jtokkit's (tiktoken's gpt2) on real and generated text. */
class Gpt2EncodingTest {
    static final BpeTokenizer GPT2 = new BpeTokenizer(Encodings.gpt2());

    private static void assertSameAsTiktoken(String text) {
        int[] expected = Jtokkit.encodeOrdinary(text);
        int[] actual = GPT2.encodeOrdinary(text);
        assertArrayEquals(expected, actual, () -> "ids differ for " + escape(text));
        assertEquals(text, GPT2.decode(actual, DecodeMode.STRICT), "round trip");
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().limit(200).forEach(cp -> sb.append(cp >= 0x20 && cp < 0x7F ? Character.toString(cp)
                : String.format("\\u{%x}", cp)));
        return sb.append('"').toString();
    }

    @Test
    void theVocabularyHas50257Ids() {
        Vocabulary v = Encodings.gpt2();
        assertEquals(50257, v.size());
        assertEquals(50256, v.specialTokens().get("<|endoftext|>"));
        assertEquals(64, v.hash().length());
    }

    @Test
    void fixedHardCasesMatch() {
        for (String s : HardCases.FIXED) assertSameAsTiktoken(s);
    }

    @Test
    void randomFragmentsMatch() {
        for (String s : HardCases.random(42, 3000, 40)) assertSameAsTiktoken(s);
    }

    @Test
    void randomCodePointsFromEveryPlaneMatch() {
        for (String s : HardCases.randomCodePoints(7, 2000, 30)) assertSameAsTiktoken(s);
    }

    @Test
    void longWordsAndRunsMatchWithoutQuadraticCost() {
        assertSameAsTiktoken("a".repeat(100_000));
        assertSameAsTiktoken(" ".repeat(10_000));
        assertSameAsTiktoken(" ".repeat(10_000) + "x");
        assertSameAsTiktoken("\n".repeat(5_000) + "x" + "\t".repeat(5000));
        assertSameAsTiktoken("abc".repeat(40_000));
        assertSameAsTiktoken("1234567890".repeat(5_000));
        assertSameAsTiktoken("!?".repeat(30_000));
        assertSameAsTiktoken("😀".repeat(20_000));
    }

    @Test
    void realCorporaMatchChunkForChunk() throws Exception {
        for (String name : List.of("corpus/the-verdict.txt", "corpus/moby-dick.txt")) {
            String text = Files.readString(SharedData.file(name), StandardCharsets.UTF_8);
            assertArrayEquals(Jtokkit.encodeOrdinary(text), GPT2.encodeOrdinary(text), name);
        }
    }

    @Test
    void theVerdictIs5145Tokens() throws Exception {
        String text = Files.readString(SharedData.file("corpus/the-verdict.txt"), StandardCharsets.UTF_8);
        assertEquals(5145, GPT2.encode(text).length, "the book's count");
    }

    @Test
    void aLongTextCutIntoParallelChunksGivesThePeersIds() throws Exception {
        // Texts above 128 KiB are cut at safe points and encoded in parallel.
        String text = Files.readString(SharedData.file("corpus/moby-dick.txt"), StandardCharsets.UTF_8);
        assertTrue(text.length() > 1_000_000);
        assertArrayEquals(Jtokkit.encodeOrdinary(text), GPT2.encodeOrdinary(text));
        String generated = String.join("", HardCases.random(11, 20_000, 40));
        assertTrue(generated.length() > 300_000);
        assertArrayEquals(Jtokkit.encodeOrdinary(generated), GPT2.encodeOrdinary(generated));
    }

    @Test
    void specialTokensFollowTiktokensPolicy() {
        String text = "Hello<|endoftext|>world";
        var e = assertThrows(DisallowedSpecialTokenException.class, () -> GPT2.encode(text));
        assertEquals(5, e.index());
        int[] allowed = GPT2.encode(text, SpecialTokenPolicy.allow(Set.of("<|endoftext|>")));
        assertArrayEquals(new int[] {15496, 50256, 6894}, allowed);
        assertArrayEquals(allowed, GPT2.encode(text, SpecialTokenPolicy.ALLOW_ALL));
        int[] ordinary = GPT2.encode(text, SpecialTokenPolicy.ORDINARY);
        assertArrayEquals(Jtokkit.encodeOrdinary(text), ordinary);
        assertTrue(ordinary.length > 3, "spelled out as text");
        assertEquals(text, GPT2.decode(allowed));
    }

    @Test
    void decodingIsExactAndChecksIds() {
        int[] ids = GPT2.encode("naïve café 😀");
        byte[] bytes = GPT2.decodeBytes(ids);
        assertArrayEquals("naïve café 😀".getBytes(StandardCharsets.UTF_8), bytes);
        var e = assertThrows(IllegalArgumentException.class, () -> GPT2.decode(new int[] {1, 50257}));
        assertTrue(e.getMessage().contains("token id 50257 at position 1 is outside the vocabulary"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GPT2.decode(new int[] {-1}));
        // 😀 is several byte tokens: half of them is not UTF-8
        int[] emoji = GPT2.encode("😀");
        assertTrue(emoji.length > 1);
        int[] half = {emoji[0]};
        assertThrows(IllegalArgumentException.class, () -> GPT2.decode(half, DecodeMode.STRICT));
        assertEquals("\uFFFD", GPT2.decode(half, DecodeMode.LENIENT));
    }

    @Test
    void unpairedSurrogatesEncodeAsReplacementCharactersAsInTiktoken() {
        // tiktoken re-encodes such text with errors="replace": each lone surrogate becomes U+FFFD
        assertArrayEquals(GPT2.encode("ok \uFFFD no \uFFFD"), GPT2.encode("ok \uD800 no \uDC00"));
        assertArrayEquals(GPT2.encode("\uFFFDx"), GPT2.encode("\uDBFFx"));
        assertArrayEquals(GPT2.encode("a\uD83D\uDE00"), GPT2.encode("a😀"), "a valid pair stays one character");
    }

    @Test
    void openAiFilesGiveTheSameVocabularyAndIds() throws Exception {
        Path enc = SharedData.file("gpt2/encoder.json");
        Path bpe = SharedData.file("gpt2/vocab.bpe");
        Vocabulary fromFiles;
        try (InputStream a = Files.newInputStream(enc); InputStream b = Files.newInputStream(bpe)) {
            fromFiles = Gpt2FilesFormat.read("gpt2-files", a, b, Set.of("<|endoftext|>"));
        }
        assertEquals(Encodings.gpt2().hash(), fromFiles.hash(), "byte for byte the same vocabulary");
        BpeTokenizer t = new BpeTokenizer(fromFiles);
        for (String s : HardCases.random(99, 500, 30)) assertArrayEquals(GPT2.encodeOrdinary(s), t.encodeOrdinary(s), s);
        String verdict = Files.readString(SharedData.file("corpus/the-verdict.txt"));
        assertArrayEquals(GPT2.encodeOrdinary(verdict), t.encodeOrdinary(verdict));
    }

    @Test
    void manyDocumentsEncodeInParallelInOrder() {
        List<String> docs = HardCases.random(5, 400, 60);
        List<int[]> all = GPT2.encodeAll(docs, SpecialTokenPolicy.ORDINARY);
        for (int i = 0; i < docs.size(); i++) assertArrayEquals(GPT2.encodeOrdinary(docs.get(i)), all.get(i));
    }
}
