package dev.llmsuite.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * GPT-2 byte-level BPE: pre-tokenize ({@link Gpt2PreTokenizer}), UTF-8 encode each piece, take the piece
 * whole if it is a token, else merge its bytes ({@link BytePairMerger}). With the GPT-2 vocabulary the
 * ids equal tiktoken's {@code gpt2} encoding. Thread-safe; {@link #encodeAll} and long texts use all cores.
 */
public final class BpeTokenizer implements TextTokenizer {
    /** Texts are cut at safe points into parts of about this many chars (encoded in parallel when asked). */
    private static final int PARALLEL_CHUNK = 1 << 15;

    private final Vocabulary vocab;
    private final BytePairMerger merger;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    public BpeTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.merger = new BytePairMerger(vocab.merges(), vocab.byteIds());
    }

    @Override
    public Vocabulary vocabulary() { return vocab; }

    /** Per-thread buffers: the piece's UTF-8 bytes and the merger's arrays. */
    private static final class Scratch {
        byte[] bytes = new byte[1024];
        final BytePairMerger.Scratch merge = new BytePairMerger.Scratch();
        final MergeCache cache = new MergeCache();
    }

    /** Encodes with tiktoken's default policy: text that spells a special token is an error. */
    public int[] encode(String text) {
        return encode(text, SpecialTokenPolicy.REJECT);
    }

    /** Encodes all of the text as ordinary text, special-token spellings included. */
    @Override
    public int[] encodeOrdinary(String text) {
        return encode(text, SpecialTokenPolicy.ORDINARY);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encode(text, SpecialTokenPolicy.ALLOW_ALL);
    }

    public int[] encode(String text, SpecialTokenPolicy policy) {
        return encode(text, policy, true);
    }

    /**
     * @param parallel whether a long text may be cut at safe points and encoded on all cores (the ids are
     *                 the same either way); false keeps the work on the calling thread
     */
    public int[] encode(String text, SpecialTokenPolicy policy, boolean parallel) {
        IntList out = new IntList(text.length() / 4 + 16);
        if (policy.ordinary() || vocab.specialTokens().isEmpty()) {
            encodeOrdinary(text, 0, text.length(), out, parallel);
            return out.toArray();
        }
        for (String special : vocab.specialTokens().keySet()) {
            if (policy.isAllowed(special)) continue;
            int at = text.indexOf(special);
            if (at >= 0) throw new DisallowedSpecialTokenException(special, at);
        }
        int pos = 0;
        while (pos < text.length()) {
            int at = -1;
            String found = null;
            for (String special : vocab.specialTokens().keySet()) {
                if (!policy.isAllowed(special)) continue;
                int i = text.indexOf(special, pos);
                if (i >= 0 && (at < 0 || i < at || (i == at && special.length() > found.length()))) {
                    at = i;
                    found = special;
                }
            }
            int end = at < 0 ? text.length() : at;
            encodeOrdinary(text, pos, end, out, parallel);
            if (at < 0) break;
            out.add(vocab.specialTokens().get(found));
            pos = at + found.length();
        }
        return out.toArray();
    }

    /** Many documents at once, across all cores; the result is in input order. */
    public List<int[]> encodeAll(List<String> texts, SpecialTokenPolicy policy) {
        int[][] out = new int[texts.size()][];
        // A parallel stream run from this thread: the caller works too, beside the common pool's workers.
        IntStream.range(0, texts.size()).parallel().forEach(i -> out[i] = encode(texts.get(i), policy, false));
        return List.of(out);
    }

    private void encodeOrdinary(String text, int from, int to, IntList out, boolean parallel) {
        // Cut where a whitespace char follows a non-whitespace one: no piece spans such a point, so the
        // pieces (and ids) are exactly those of one pass. Parts keep the scratch buffers small and hot.
        List<int[]> ranges = new ArrayList<>();
        int start = from;
        while (to - start > 2 * PARALLEL_CHUNK) {
            int cut = safeCut(text, start + PARALLEL_CHUNK, to);
            if (cut < 0) break;
            ranges.add(new int[] {start, cut});
            start = cut;
        }
        ranges.add(new int[] {start, to});
        if (!parallel || ranges.size() == 1) {
            for (int[] r : ranges) encodeRange(text, r[0], r[1], out);
            return;
        }
        int[][] parts = new int[ranges.size()][];
        IntStream.range(0, ranges.size()).parallel().forEach(i -> {
            IntList part = new IntList((ranges.get(i)[1] - ranges.get(i)[0]) / 4 + 16);
            encodeRange(text, ranges.get(i)[0], ranges.get(i)[1], part);
            parts[i] = part.toArray();
        });
        for (int[] p : parts) out.addAll(p, 0, p.length);
    }

    private static int safeCut(String text, int from, int to) {
        for (int i = Math.max(from, 1); i < to; i++) {
            char c = text.charAt(i);
            if (Gpt2PreTokenizer.isWhiteSpace(c) && !Gpt2PreTokenizer.isWhiteSpace(text.charAt(i - 1))
                    && !Character.isSurrogate(text.charAt(i - 1))) {
                return i;
            }
        }
        return -1;
    }

    private void encodeRange(String text, int from, int to, IntList out) {
        Scratch s = scratch.get();
        int max = Utf8.maxBytes(to - from);
        if (s.bytes.length < max + 8) s.bytes = new byte[Math.max(max + 8, s.bytes.length * 2)]; // +8: whole-long loads
        byte[] bytes = s.bytes;
        int n = Utf8.encode(text, from, to, bytes);
        TokenIndex index = vocab.index();
        // Each piece is a byte range of the one UTF-8 buffer: looked up in place, merged only if needed.
        Gpt2PreTokenizer.split(bytes, 0, n, (start, end) -> {
            int len = end - start;
            int whole = index.get(bytes, start, len);
            if (whole >= 0) {
                out.add(whole);
            } else if (len > MergeCache.MAX_PIECE) {
                merger.merge(bytes, start, len, s.merge, out);
            } else if (!s.cache.appendIfPresent(bytes, start, len, out)) {
                int before = out.size();
                merger.merge(bytes, start, len, s.merge, out);
                s.cache.put(bytes, start, len, out.slice(before));
            }
        });
        if (bytes.length > (1 << 22)) s.bytes = new byte[1024]; // don't keep a huge buffer per thread
    }

    /** The exact bytes the ids stand for; an id outside the vocabulary is an error. */
    @Override
    public byte[] decodeBytes(int[] ids) {
        int total = 0;
        byte[][] parts = new byte[ids.length][];
        Map<String, Integer> specials = vocab.specialTokens();
        for (int i = 0; i < ids.length; i++) {
            byte[] t = vocab.tokenBytes(ids[i]);
            if (t == null) t = specialBytes(ids[i], specials);
            if (t == null) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary (" + vocab.name() + ", " + vocab.size() + " ids)");
            }
            parts[i] = t;
            total += t.length;
        }
        byte[] out = new byte[total];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    public String decode(int[] ids, DecodeMode mode) {
        byte[] bytes = decodeBytes(ids);
        try {
            return Utf8.decode(bytes, bytes.length, mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the ids decode to " + e.getMessage()
                    + " (lenient decoding substitutes U+FFFD)");
        }
    }

    /** Lenient decoding, tiktoken's default. */
    @Override
    public String decode(int[] ids) {
        return decode(ids, DecodeMode.LENIENT);
    }

    private static byte[] specialBytes(int id, Map<String, Integer> specials) {
        for (var e : specials.entrySet()) if (e.getValue() == id) return e.getKey().getBytes(StandardCharsets.UTF_8);
        return null;
    }
}
