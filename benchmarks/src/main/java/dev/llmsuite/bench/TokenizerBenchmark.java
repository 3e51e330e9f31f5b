package dev.llmsuite.bench;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.llmsuite.tokenizer.BpeTokenizer;
import dev.llmsuite.tokenizer.Encodings;
import dev.llmsuite.tokenizer.SpecialTokenPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * GPT-2 encoding and decoding of one corpus file, ours beside jtokkit 1.1.0, on one thread and on all
 * cores. One operation = the whole file. Both sides are checked to give the same ids before timing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class TokenizerBenchmark {

    @Param("../shared/data/corpus/state-of-the-union.txt")
    public String corpus;

    String text;
    List<String> lines;
    int[] ids;
    IntArrayList jtokkitIds;
    BpeTokenizer ours;
    Encoding jtokkit;

    @Setup(Level.Trial)
    public void load() throws IOException {
        text = Files.readString(Path.of(corpus));
        lines = text.lines().toList();
        ours = new BpeTokenizer(Encodings.gpt2());
        jtokkit = com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        ids = ours.encode(text, SpecialTokenPolicy.ORDINARY, false);
        jtokkitIds = jtokkit.encodeOrdinary(text);
        if (!Arrays.equals(ids, jtokkitIds.toArray())) throw new IllegalStateException("ids differ from jtokkit's");
        System.out.printf("%n%s: %,d bytes, %,d chars, %,d GPT-2 tokens%n", corpus,
                text.getBytes(StandardCharsets.UTF_8).length, text.length(), ids.length);
    }

    @Benchmark
    public int[] encodeOurs1Thread() {
        return ours.encode(text, SpecialTokenPolicy.ORDINARY, false);
    }

    @Benchmark
    public IntArrayList encodeJtokkit1Thread() {
        return jtokkit.encodeOrdinary(text);
    }

    /** Ours cuts the text at safe points and encodes the parts on all cores. */
    @Benchmark
    public int[] encodeOursAllCores() {
        return ours.encode(text, SpecialTokenPolicy.ORDINARY, true);
    }

    /** jtokkit has no parallel mode: the lines (one address each) on all cores, as a user would do it. */
    @Benchmark
    public long encodeJtokkitAllCores() {
        return lines.parallelStream().mapToLong(l -> jtokkit.encodeOrdinary(l).size()).sum();
    }

    @Benchmark
    public byte[] decodeOurs1Thread() {
        return ours.decodeBytes(ids);
    }

    @Benchmark
    public byte[] decodeJtokkit1Thread() {
        return jtokkit.decodeBytes(jtokkitIds);
    }
}
