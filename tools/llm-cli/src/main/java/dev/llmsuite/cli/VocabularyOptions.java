package dev.llmsuite.cli;

import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import dev.llmsuite.tokenizer.SpecialTokenPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import picocli.CommandLine.Option;

/** The vocabulary and special-token options shared by tokenize and detokenize. */
final class VocabularyOptions {
    @Option(names = "--encoding", defaultValue = "gpt2",
            description = "gpt2 (default), or a NAME.tiktoken file (with NAME.tiktoken.special beside it)")
    String encoding;

    @Option(names = "--allowed-special", description = "all, or NAME,NAME: special tokens that may appear as such")
    String allowedSpecial;

    @Option(names = "--ordinary", description = "encode special-token text as plain text")
    boolean ordinary;

    BpeTokenizer tokenizer() throws IOException {
        if (encoding.equals(Encodings.GPT2)) return new BpeTokenizer(Encodings.gpt2());
        Path file = Path.of(encoding);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("unknown encoding '" + encoding + "': use gpt2 or a .tiktoken file");
        }
        String name = file.getFileName().toString().replaceFirst("\\.tiktoken$", "");
        return new BpeTokenizer(Encodings.loadTiktoken(name, file));
    }

    SpecialTokenPolicy policy(BpeTokenizer t) {
        if (ordinary) {
            if (allowedSpecial != null) throw new IllegalArgumentException("--ordinary and --allowed-special exclude each other");
            return SpecialTokenPolicy.ORDINARY;
        }
        if (allowedSpecial == null || allowedSpecial.isBlank()) return SpecialTokenPolicy.REJECT;
        if (allowedSpecial.equals("all")) return SpecialTokenPolicy.ALLOW_ALL;
        Set<String> names = new LinkedHashSet<>(Arrays.asList(allowedSpecial.split(",")));
        for (String n : names) {
            if (!t.vocabulary().specialTokens().containsKey(n)) {
                throw new IllegalArgumentException("'" + n + "' is not a special token of " + t.vocabulary().name()
                        + " " + t.vocabulary().specialTokens().keySet());
            }
        }
        return SpecialTokenPolicy.allow(names);
    }
}
