package dev.llmsuite.tokenizer;

import dev.llmsuite.records.Gpt2;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The built-in vocabularies, and loading one from files. */
public final class Encodings {
    public static final String GPT2 = "gpt2";
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final int GPT2_END_OF_TEXT = Gpt2.END_OF_TEXT;

    private Encodings() {}

    private static final class Gpt2Holder {
        static final Vocabulary VOCAB = load();

        private static Vocabulary load() {
            try (InputStream in = Encodings.class.getResourceAsStream("vocab/r50k_base.tiktoken")) {
                if (in == null) throw new IllegalStateException("GPT-2 ranks missing from the jar (vocab/r50k_base.tiktoken)");
                return Vocabulary.fromRanks(GPT2, TiktokenFormat.readRanks(in), Map.of(END_OF_TEXT, GPT2_END_OF_TEXT));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** GPT-2's vocabulary (tiktoken's r50k_base, 50,257 ids), loaded once. */
    public static Vocabulary gpt2() {
        return Gpt2Holder.VOCAB;
    }

    /** A vocabulary saved as NAME.tiktoken (+ NAME.tiktoken.special when it has special tokens). */
    public static Vocabulary loadTiktoken(String name, Path ranksFile) throws IOException {
        byte[][] ranks;
        try (InputStream in = Files.newInputStream(ranksFile)) {
            ranks = TiktokenFormat.readRanks(in);
        }
        Path specialFile = ranksFile.resolveSibling(ranksFile.getFileName() + ".special");
        Map<String, Integer> specials = Map.of();
        if (Files.exists(specialFile)) {
            try (InputStream in = Files.newInputStream(specialFile)) {
                specials = TiktokenFormat.readSpecials(in);
            }
        }
        try {
            return Vocabulary.fromRanks(name, ranks, specials);
        } catch (IllegalArgumentException e) {
            throw new IOException(ranksFile + ": " + e.getMessage());
        }
    }

    public static void saveTiktoken(Vocabulary v, Path ranksFile) throws IOException {
        try (var out = Files.newOutputStream(ranksFile)) {
            TiktokenFormat.writeRanks(v, out);
        }
        if (!v.specialTokens().isEmpty()) {
            try (var out = Files.newOutputStream(ranksFile.resolveSibling(ranksFile.getFileName() + ".special"))) {
                TiktokenFormat.writeSpecials(v, out);
            }
        }
    }
}
