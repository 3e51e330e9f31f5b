package dev.llmsuite.cli;

import dev.llmsuite.tokenizer.BpeTrainer;
import dev.llmsuite.tokenizer.Encodings;
import dev.llmsuite.tokenizer.Utf8;
import dev.llmsuite.tokenizer.Vocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./llm bpe-train}: learn a byte-level BPE vocabulary from text files. */
@Command(name = "bpe-train", mixinStandardHelpOptions = true,
        description = "Train a byte-level BPE vocabulary (GPT-2 pre-tokenization) and save it in tiktoken format.")
final class BpeTrainCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "UTF-8 text files to train on")
    List<Path> inputs;

    @Option(names = "--vocab-size", required = true, description = "ids in all: 256 bytes + merges + special tokens")
    int vocabSize;

    @Option(names = "--out", required = true, description = "NAME.tiktoken to write (special tokens go to NAME.tiktoken.special)")
    Path out;

    @Option(names = "--special", split = ",", defaultValue = "<|endoftext|>", description = "special tokens (default ${DEFAULT-VALUE})")
    List<String> specials;

    @Option(names = "--min-frequency", defaultValue = "2", description = "pairs seen fewer times never merge")
    int minFrequency;

    @Override
    public Integer call() throws Exception {
        StringBuilder corpus = new StringBuilder();
        for (Path p : inputs) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException(p + " is not a file");
            try {
                corpus.append(Utf8.decodeStrict(Files.readAllBytes(p)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(p + " is not UTF-8: " + e.getMessage());
            }
        }
        String name = out.getFileName().toString().replaceFirst("\\.tiktoken$", "");
        Progress progress = new Progress();
        long t0 = System.nanoTime();
        long[] lastShown = {0};
        Vocabulary v = new BpeTrainer(vocabSize, specials, minFrequency).train(name, corpus.toString(), (done, target, count) -> {
            long now = System.nanoTime();
            if (now - lastShown[0] < 200_000_000L && done < target) return;
            lastShown[0] = now;
            double s = (now - t0) / 1e9;
            progress.status(String.format("merges %d/%d  (pair count %d)  %.1f s  ETA %.1f s", done, target, count, s,
                    done == 0 ? 0 : s / done * (target - done)));
        });
        progress.done();
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        Encodings.saveTiktoken(v, out);
        System.out.printf("trained %s: %d ids (%d merges) from %,d chars in %.1f s; hash %s -> %s%n", name, v.size(),
                v.ordinaryCount() - 256, corpus.length(), (System.nanoTime() - t0) / 1e9, v.hash(), out);
        return 0;
    }
}
