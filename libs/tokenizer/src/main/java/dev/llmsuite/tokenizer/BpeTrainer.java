package dev.llmsuite.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * Learns a byte-level BPE vocabulary from a corpus. Ids 0..255 are the bytes; each merge adds the
 * next id; special tokens come last. Text is pre-tokenized as GPT-2 does, so merges never cross a
 * word boundary, and special-token text in the corpus is left out of training.
 *
 * <p>Pair counts are kept incrementally: a merge touches only the words that contain the pair, so the
 * corpus is scanned once, not once per merge. The most frequent pair merges first; ties go to the
 * pair with the smaller (left id, right id), so training is deterministic.
 */
public final class BpeTrainer {

    /** Called after every merge. */
    @FunctionalInterface
    public interface Progress {
        void merged(int done, int target, long pairCount);
    }

    private final int vocabSize;
    private final List<String> specials;
    private final int minFrequency;

    /**
     * @param vocabSize    total ids wanted, bytes and special tokens included (at least 256 + specials)
     * @param specials     special tokens, given the last ids in this order
     * @param minFrequency a pair seen fewer times than this never merges (2 is usual)
     */
    public BpeTrainer(int vocabSize, List<String> specials, int minFrequency) {
        if (vocabSize < 256 + specials.size()) {
            throw new IllegalArgumentException("vocabulary size " + vocabSize + " is below 256 bytes + "
                    + specials.size() + " special tokens");
        }
        if (minFrequency < 1) throw new IllegalArgumentException("min frequency must be >= 1");
        this.vocabSize = vocabSize;
        this.specials = List.copyOf(specials);
        this.minFrequency = minFrequency;
    }

    public Vocabulary train(String name, String corpus, Progress progress) {
        Map<String, Integer> wordCounts = countWords(corpus);
        return train(name, wordCounts, progress);
    }

    /**
     * Distinct pre-tokens and their counts, counted in parallel. Keys hold a pre-token's UTF-8 bytes as
     * ISO-8859-1 chars (one char per byte), a cheap hashable byte string.
     */
    Map<String, Integer> countWords(String corpus) {
        List<int[]> ranges = segments(corpus);
        ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();
        IntStream.range(0, ranges.size()).parallel().forEach(r -> {
            Map<String, Integer> local = new HashMap<>();
            int[] range = ranges.get(r);
            byte[] bytes = new byte[Utf8.maxBytes(range[1] - range[0])];
            int n = Utf8.encode(corpus, range[0], range[1], bytes);
            Gpt2PreTokenizer.split(bytes, 0, n,
                    (s, e) -> local.merge(new String(bytes, s, e - s, StandardCharsets.ISO_8859_1), 1, Integer::sum));
            local.forEach((w, c) -> counts.merge(w, c, Integer::sum));
        });
        return counts;
    }

    /** The corpus cut into pieces: around special tokens, and into ~1 MB parts at safe points. */
    private List<int[]> segments(String corpus) {
        List<int[]> out = new ArrayList<>();
        int pos = 0;
        while (pos <= corpus.length()) {
            int next = corpus.length();
            String found = null;
            for (String s : specials) {
                int i = corpus.indexOf(s, pos);
                if (i >= 0 && i < next) {
                    next = i;
                    found = s;
                }
            }
            int start = pos;
            while (next - start > (1 << 20)) {
                int cut = safeCut(corpus, start + (1 << 20), next);
                if (cut < 0) break;
                out.add(new int[] {start, cut});
                start = cut;
            }
            if (next > start) out.add(new int[] {start, next});
            if (found == null) break;
            pos = next + found.length();
        }
        return out;
    }

    private static int safeCut(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Gpt2PreTokenizer.isWhiteSpace(text.charAt(i)) && !Gpt2PreTokenizer.isWhiteSpace(text.charAt(i - 1))) return i;
        }
        return -1;
    }

    private record Candidate(long count, long pair) {}

    Vocabulary train(String name, Map<String, Integer> wordCounts, Progress progress) {
        // Words as symbol arrays (initially their bytes), with their corpus counts.
        int n = wordCounts.size();
        int[][] words = new int[n][];
        long[] counts = new long[n];
        int w = 0;
        for (var e : wordCounts.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.ISO_8859_1);
            int[] sym = new int[b.length];
            for (int i = 0; i < b.length; i++) sym[i] = b[i] & 0xFF;
            words[w] = sym;
            counts[w++] = e.getValue();
        }

        List<byte[]> tokens = new ArrayList<>();
        Map<String, Integer> idOfBytes = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[] {(byte) b});
            idOfBytes.put(key(tokens.get(b)), b);
        }

        Map<Long, Long> pairCounts = new HashMap<>();
        Map<Long, IntList> pairWords = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int[] s = words[i];
            for (int k = 0; k + 1 < s.length; k++) {
                long p = pair(s[k], s[k + 1]);
                pairCounts.merge(p, counts[i], Long::sum);
                pairWords.computeIfAbsent(p, x -> new IntList(4)).add(i);
            }
        }
        PriorityQueue<Candidate> heap = new PriorityQueue<>((a, b) -> a.count != b.count
                ? Long.compare(b.count, a.count) : Long.compare(a.pair, b.pair));
        pairCounts.forEach((p, c) -> heap.add(new Candidate(c, p)));

        int target = vocabSize - specials.size();
        int[] seen = new int[n];
        int stamp = 0;
        while (tokens.size() < target && !heap.isEmpty()) {
            Candidate top = heap.poll();
            long current = pairCounts.getOrDefault(top.pair, 0L);
            if (current != top.count) continue; // stale entry
            if (current < minFrequency) break;
            int left = (int) (top.pair >>> 32), right = (int) top.pair;
            byte[] merged = concat(tokens.get(left), tokens.get(right));
            Integer existing = idOfBytes.get(key(merged));
            int id;
            if (existing != null) {
                id = existing; // the same bytes reached by another split: no new token
            } else {
                id = tokens.size();
                tokens.add(merged);
                idOfBytes.put(key(merged), id);
            }
            stamp++;
            IntList affected = pairWords.remove(top.pair);
            Map<Long, Long> delta = new HashMap<>();
            for (int a = 0; a < affected.size(); a++) {
                int wi = affected.get(a);
                if (seen[wi] == stamp) continue;
                seen[wi] = stamp;
                words[wi] = mergeInWord(words[wi], left, right, id, counts[wi], wi, delta, pairWords);
            }
            for (var d : delta.entrySet()) {
                if (d.getValue() == 0) continue;
                long c = pairCounts.merge(d.getKey(), d.getValue(), Long::sum);
                if (c <= 0) pairCounts.remove(d.getKey());
                else heap.add(new Candidate(c, d.getKey()));
            }
            if (progress != null) progress.merged(tokens.size() - 256, target - 256, current);
        }

        byte[][] ranks = tokens.toArray(new byte[0][]);
        Map<String, Integer> specialIds = new LinkedHashMap<>();
        for (String s : specials) specialIds.put(s, ranks.length + specialIds.size());
        return Vocabulary.fromRanks(name, ranks, specialIds);
    }

    /**
     * Replaces each (left, right) in a word with id, left to right, and records the change in pair
     * counts: the word's old pairs leave, its new pairs arrive, each weighted by the word's count.
     */
    private static int[] mergeInWord(int[] s, int left, int right, int id, long count, int wordIndex,
                                     Map<Long, Long> delta, Map<Long, IntList> pairWords) {
        int[] out = new int[s.length];
        int m = 0;
        for (int k = 0; k < s.length; k++) {
            if (k + 1 < s.length && s[k] == left && s[k + 1] == right) {
                out[m++] = id;
                k++;
            } else {
                out[m++] = s[k];
            }
        }
        if (m == s.length) return s; // listed for this pair once, no longer holds it
        for (int k = 0; k + 1 < s.length; k++) delta.merge(pair(s[k], s[k + 1]), -count, Long::sum);
        for (int k = 0; k + 1 < m; k++) {
            long p = pair(out[k], out[k + 1]);
            delta.merge(p, count, Long::sum);
            // Pairs without the new id were already indexed for this word.
            if (out[k] == id || out[k + 1] == id) pairWords.computeIfAbsent(p, x -> new IntList(4)).add(wordIndex);
        }
        return Arrays.copyOf(out, m);
    }

    private static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static String key(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
