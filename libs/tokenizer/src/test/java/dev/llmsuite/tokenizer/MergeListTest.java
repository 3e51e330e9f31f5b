package dev.llmsuite.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The merges recovered from tiktoken ranks are OpenAI's vocab.bpe, line for line. */
class MergeListTest {

    @Test
    void gpt2RanksGiveVocabBpeInItsOrder() throws IOException {
        List<String> expected = Files.readAllLines(SharedData.file("gpt2/vocab.bpe"), StandardCharsets.UTF_8).stream()
                .filter(l -> !l.startsWith("#version") && !l.isBlank()).toList();
        Vocabulary gpt2 = Encodings.gpt2();
        List<String> recovered = MergeList.of(gpt2).stream()
                .map(p -> ByteLevel.toString(gpt2.tokenBytes(p[0])) + " " + ByteLevel.toString(gpt2.tokenBytes(p[1]))).toList();
        assertEquals(50_000, recovered.size());
        for (int i = 0; i < expected.size(); i++) assertEquals(expected.get(i), recovered.get(i), "merge " + (i + 1));
    }

    @Test
    void aMergesFileVocabularyGivesItsOwnList() {
        byte[][] tokens = new byte[259][];
        for (int b = 0; b < 256; b++) tokens[b] = new byte[] {(byte) b};
        tokens[256] = "ab".getBytes(StandardCharsets.UTF_8);
        tokens[257] = "abc".getBytes(StandardCharsets.UTF_8);
        tokens[258] = "bc".getBytes(StandardCharsets.UTF_8);
        // bc before ab: "abc" is then a + bc, which the recovered list must say
        Vocabulary v = Vocabulary.fromMerges("t", tokens, List.of(new int[] {'b', 'c'}, new int[] {'a', 'b'}, new int[] {'a', 258}), Map.of());
        List<int[]> merges = MergeList.of(v);
        assertEquals(List.of("98 99", "97 98", "97 258"), merges.stream().map(p -> p[0] + " " + p[1]).toList());
    }
}
