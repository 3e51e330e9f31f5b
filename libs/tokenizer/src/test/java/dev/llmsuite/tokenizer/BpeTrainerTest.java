package dev.llmsuite.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {

    /** Recounts every pair before every merge: slow, obviously right, same tie rule. */
    static List<byte[]> naiveMerges(Map<String, Integer> wordCounts, int merges, int minFrequency) {
        List<int[]> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        wordCounts.forEach((w, c) -> {
            byte[] b = w.getBytes(StandardCharsets.ISO_8859_1); // countWords keys: one char per byte
            int[] s = new int[b.length];
            for (int i = 0; i < b.length; i++) s[i] = b[i] & 0xFF;
            words.add(s);
            counts.add(c);
        });
        List<byte[]> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[] {(byte) b});
            ids.put(new String(tokens.get(b), StandardCharsets.ISO_8859_1), b);
        }
        while (tokens.size() < 256 + merges) {
            TreeMap<Long, Long> pairCounts = new TreeMap<>();
            for (int i = 0; i < words.size(); i++) {
                int[] s = words.get(i);
                for (int k = 0; k + 1 < s.length; k++) pairCounts.merge(((long) s[k] << 32) | s[k + 1], (long) counts.get(i), Long::sum);
            }
            long best = -1, bestCount = 0;
            for (var e : pairCounts.entrySet()) if (e.getValue() > bestCount) { best = e.getKey(); bestCount = e.getValue(); }
            if (best < 0 || bestCount < minFrequency) break;
            int l = (int) (best >>> 32), r = (int) best;
            byte[] merged = new byte[tokens.get(l).length + tokens.get(r).length];
            System.arraycopy(tokens.get(l), 0, merged, 0, tokens.get(l).length);
            System.arraycopy(tokens.get(r), 0, merged, tokens.get(l).length, tokens.get(r).length);
            String key = new String(merged, StandardCharsets.ISO_8859_1);
            Integer id = ids.get(key);
            if (id == null) {
                id = tokens.size();
                tokens.add(merged);
                ids.put(key, id);
            }
            for (int i = 0; i < words.size(); i++) {
                int[] s = words.get(i);
                int[] out = new int[s.length];
                int m = 0;
                for (int k = 0; k < s.length; k++) {
                    if (k + 1 < s.length && s[k] == l && s[k + 1] == r) { out[m++] = id; k++; } else out[m++] = s[k];
                }
                words.set(i, Arrays.copyOf(out, m));
            }
        }
        return tokens;
    }

    @Test
    void incrementalCountingLearnsTheSameMergesAsRecounting() {
        String corpus = String.join(" ", HardCases.random(3, 300, 30)) + " aaaa aaaaa banana bandana ananas "
                + "the then there their theirs the other another mother";
        BpeTrainer trainer = new BpeTrainer(256 + 120, List.of(), 2);
        Map<String, Integer> words = trainer.countWords(corpus);
        Vocabulary v = trainer.train("t", words, null);
        List<byte[]> expected = naiveMerges(words, 120, 2);
        assertEquals(expected.size(), v.ordinaryCount());
        for (int id = 0; id < expected.size(); id++) {
            assertArrayEquals(expected.get(id), v.tokenBytes(id), "token " + id);
        }
    }

    @Test
    void aTrainedVocabularyReloadsAndEncodesIdentically(@TempDir Path dir) throws Exception {
        String corpus = String.join("\n", HardCases.random(8, 2000, 50)) + "<|endoftext|>more text here";
        List<Integer> progress = new ArrayList<>();
        Vocabulary v = new BpeTrainer(600, List.of("<|endoftext|>", "<|pad|>"), 2)
                .train("mine", corpus, (done, target, count) -> progress.add(done));
        assertEquals(600, v.size());
        assertEquals(598, v.specialTokens().get("<|endoftext|>"));
        assertEquals(599, v.specialTokens().get("<|pad|>"));
        assertEquals(342, progress.get(progress.size() - 1), "progress counts merges up to the target");

        Path file = dir.resolve("mine.tiktoken");
        Encodings.saveTiktoken(v, file);
        Vocabulary back = Encodings.loadTiktoken("mine", file);
        assertEquals(v.hash(), back.hash());
        BpeTokenizer a = new BpeTokenizer(v), b = new BpeTokenizer(back);
        for (String s : HardCases.random(9, 300, 40)) {
            int[] ids = a.encode(s, SpecialTokenPolicy.ALLOW_ALL);
            assertArrayEquals(ids, b.encode(s, SpecialTokenPolicy.ALLOW_ALL));
            assertEquals(s, b.decode(ids, DecodeMode.STRICT));
        }
        assertArrayEquals(new int[] {599}, b.encode("<|pad|>", SpecialTokenPolicy.allow(Set.of("<|pad|>"))));
    }

    @Test
    void specialTokenTextIsNotLearned() {
        String corpus = "<|endoftext|>".repeat(500) + " hi";
        Vocabulary v = new BpeTrainer(300, List.of("<|endoftext|>"), 2).train("s", corpus, null);
        for (int id = 256; id < v.ordinaryCount(); id++) {
            String t = new String(v.tokenBytes(id), StandardCharsets.UTF_8);
            assertTrue(!t.contains("endoftext") && !t.contains("<|"), "learned from special text: " + t);
        }
    }

    @Test
    void tooSmallAVocabularyIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(256, List.of("<|endoftext|>"), 2));
    }

    @Test
    void theVerdictTrainsAndEncodesCompactly() throws Exception {
        String verdict = Files.readString(SharedData.file("corpus/the-verdict.txt"));
        Vocabulary v = new BpeTrainer(1000, List.of("<|endoftext|>"), 2).train("verdict", verdict, null);
        int[] ids = new BpeTokenizer(v).encode(verdict);
        assertEquals(verdict, new BpeTokenizer(v).decode(ids, DecodeMode.STRICT));
        assertTrue(ids.length < verdict.length() / 2, "1,000 ids compress the text it was trained on: " + ids.length);
    }
}
