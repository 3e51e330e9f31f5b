package dev.llmsuite.tokenizer;

import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level BPE tokenizer as a Hugging Face {@code tokenizer.json} describes it (Llama 3, Qwen2/3, GPT-2 and most
 * models since): the model's vocabulary and ordered merges, its pre-tokenizer pattern, an optional NFC normalizer, and
 * its added tokens. Encoding, as the tokenizers library does with add_special_tokens false:
 *
 * <pre>
 *   text → split out added tokens (when the policy allows them) → NFC (if the file says so) → the pattern's matches
 *        (and whatever lies between, "Isolated") → each piece's UTF-8 bytes → the piece's own id if it is a token and
 *        the file says ignore_merges (Llama 3), else byte-pair merges by rank (BytePairMerger, as for GPT-2)
 * </pre>
 *
 * {@link TokenizerJson} reads the file and refuses what is not implemented here. Checked id for id against
 * transformers.js on Llama 3's and Qwen3's files (HfTokenizerTest).
 */
public final class HfTokenizer implements TextTokenizer {
    /** The file is read whole; real ones are 2–12 MB. */
    static final long MAX_FILE_BYTES = 64L << 20;

    private final Vocabulary vocab;
    private final BytePairMerger merger;
    private final BpeTokenizer decoder;
    private final PreTokenizer preTokenizer;
    private final Pattern pattern;
    private final boolean nfc;
    private final boolean ignoreMerges;
    /** Added tokens by their text, longest first (so a longer one wins where two start together). */
    private final Map<String, Integer> added;
    /** Added tokens that are not special ("special": false): text-like markup (llama.cpp's user-defined tokens). */
    private final Set<String> plainAdded;

    HfTokenizer(Vocabulary vocab, PreTokenizer preTokenizer, boolean nfc, boolean ignoreMerges, Map<String, Integer> added, Set<String> plainAdded) {
        this.vocab = vocab;
        this.merger = new BytePairMerger(vocab.merges(), vocab.byteIds());
        this.decoder = new BpeTokenizer(vocab);
        this.preTokenizer = preTokenizer;
        this.pattern = preTokenizer.pattern;
        this.plainAdded = Set.copyOf(plainAdded);
        this.nfc = nfc;
        this.ignoreMerges = ignoreMerges;
        Map<String, Integer> sorted = new LinkedHashMap<>();
        added.entrySet().stream().sorted((a, b) -> b.getKey().length() - a.getKey().length()).forEach(e -> sorted.put(e.getKey(), e.getValue()));
        this.added = sorted;
    }

    public static HfTokenizer read(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) throw new IOException(file + " is over " + (MAX_FILE_BYTES >> 20) + " MiB");
        try {
            if (!(Json.parse(Files.readString(file, StandardCharsets.UTF_8)) instanceof Map<?, ?> json)) {
                throw new IOException(file + " is not a JSON object");
            }
            return fromJson(file.getFileName().toString(), json);
        } catch (IllegalArgumentException | ClassCastException | ArithmeticException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A tokenizer from tokenizer.json's contents (parsed JSON: maps, lists, strings, Longs), e.g. one assembled from a
     * GGUF file's tokenizer.ggml keys; refused as {@link #read} refuses a file.
     */
    public static HfTokenizer fromJson(String name, Map<?, ?> json) {
        try {
            return TokenizerJson.parse(name, json);
        } catch (ClassCastException | ArithmeticException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Vocabulary vocabulary() { return vocab; }

    public PreTokenizer preTokenizer() { return preTokenizer; }

    /** Whether text is NFC-normalized before it is split (Qwen). */
    public boolean normalizesNfc() { return nfc; }

    /** Whether a piece that is a token is taken whole before merging (Llama 3's ignore_merges). */
    public boolean ignoresMerges() { return ignoreMerges; }

    /** Whether an added token is special (control markup), not one marked "special": false. */
    public boolean isSpecial(String addedToken) { return added.containsKey(addedToken) && !plainAdded.contains(addedToken); }

    /** The added tokens (special or not) by their text. */
    public Map<String, Integer> addedTokens() { return added; }

    /** Encodes text with no added token recognized in it: a user's text, whatever it spells. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** Encodes text; with allowAdded, spellings of added tokens become those tokens (a rendered chat template). */
    public int[] encode(String text, boolean allowAdded) {
        IntList out = new IntList(text.length() / 3 + 8);
        BytePairMerger.Scratch scratch = new BytePairMerger.Scratch();
        String[] spellings = allowAdded ? added.keySet().toArray(String[]::new) : new String[0];
        // where each added token next occurs at or after pos (-1: nowhere): each is searched for once per
        // occurrence, so a prompt of n characters costs n × added tokens at worst, not that for every token found
        int[] next = new int[spellings.length];
        Arrays.fill(next, -2);
        int pos = 0;
        while (pos < text.length()) {
            int at = -1;
            String found = null;
            for (int k = 0; k < spellings.length; k++) {
                if (next[k] == -2 || (next[k] >= 0 && next[k] < pos)) next[k] = text.indexOf(spellings[k], pos);
                if (next[k] >= 0 && (at < 0 || next[k] < at)) {
                    at = next[k];
                    found = spellings[k];
                }
            }
            int end = at < 0 ? text.length() : at;
            if (end > pos) encodeOrdinary(text.substring(pos, end), out, scratch);
            if (at < 0) break;
            out.add(added.get(found));
            pos = at + found.length();
        }
        return out.toArray();
    }

    private void encodeOrdinary(String text, IntList out, BytePairMerger.Scratch scratch) {
        String t = nfc ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
        Matcher m = pattern.matcher(t);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) piece(t.substring(last, m.start()), out, scratch);
            if (m.end() > m.start()) piece(t.substring(m.start(), m.end()), out, scratch);
            last = m.end();
        }
        if (last < t.length()) piece(t.substring(last), out, scratch);
    }

    private void piece(String piece, IntList out, BytePairMerger.Scratch scratch) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            int whole = vocab.index().get(bytes, 0, bytes.length);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        merger.merge(bytes, 0, bytes.length, scratch, out);
    }

    @Override
    public int[] encodeOrdinary(String text) {
        return encode(text, false);
    }

    @Override
    public int[] encodeWithSpecialTokens(String text) {
        return encode(text, true);
    }

    /** The exact bytes of ids (added tokens as their text). */
    @Override
    public byte[] decodeBytes(int[] ids) {
        return decoder.decodeBytes(ids);
    }

    /** The text of ids (added tokens as their text; bytes that end mid-character as U+FFFD). */
    @Override
    public String decode(int[] ids) {
        return decoder.decode(ids);
    }
}
