package dev.llmsuite.finetune;

import dev.llmsuite.records.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * The book's classification data preparation (chapter 6): reading labelled texts (TSV, CSV or JSON
 * lines, optionally gzipped), balancing the classes by undersampling, the 70/10/20 split after a seeded
 * shuffle, and token sequences padded with 50256 to the longest or to a given length.
 */
public final class ClassificationData {
    public record Split(List<ClassificationExample> train, List<ClassificationExample> validation, List<ClassificationExample> test) {
        /** The examples no training may see: validation and test. */
        public List<ClassificationExample> heldOut() {
            List<ClassificationExample> out = new ArrayList<>(validation);
            out.addAll(test);
            return out;
        }
    }

    private ClassificationData() {}

    /**
     * TSV (label TAB text, as the SMS Spam Collection), CSV (label,text with the text quoted if it holds a
     * comma), or JSON lines ({"label", "text"}); a .gz file is read through gunzip.
     */
    public static List<ClassificationExample> read(Path file) throws IOException {
        String name = file.getFileName().toString();
        String text;
        try (InputStream in = name.endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String base = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
        List<ClassificationExample> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            if (line.isBlank()) continue;
            if (base.endsWith(".jsonl") || base.endsWith(".json")) {
                if (!(Json.parse(line) instanceof Map<?, ?> m) || !(m.get("label") instanceof String l) || !(m.get("text") instanceof String t)) {
                    throw new IOException(file + ":" + lineNo + ": needs \"label\" and \"text\" strings");
                }
                out.add(new ClassificationExample(t, l));
            } else {
                char sep = base.endsWith(".csv") ? ',' : '\t';
                int at = line.indexOf(sep);
                if (at <= 0) throw new IOException(file + ":" + lineNo + ": expected label" + (sep == ',' ? "," : "<TAB>") + "text");
                String t = line.substring(at + 1);
                if (sep == ',' && t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) t = t.substring(1, t.length() - 1).replace("\"\"", "\"");
                out.add(new ClassificationExample(t, line.substring(0, at).strip()));
            }
        }
        return out;
    }

    /**
     * The examples {@link #balance} left out (the larger classes' surplus), minus any whose text equals a
     * text in {@code exclude}: unlabelled in-domain text that no split holds, usable for task-adaptive
     * pre-training without touching the validation or test texts.
     */
    public static List<ClassificationExample> leftOut(List<ClassificationExample> all, List<ClassificationExample> balanced,
            Collection<ClassificationExample> exclude) {
        Set<ClassificationExample> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        kept.addAll(balanced);
        Set<String> excluded = new HashSet<>();
        for (ClassificationExample e : exclude) excluded.add(e.text());
        List<ClassificationExample> out = new ArrayList<>();
        for (ClassificationExample e : all) if (!kept.contains(e) && !excluded.contains(e.text())) out.add(e);
        return out;
    }

    /** Every class cut to the size of the smallest (a seeded random choice of each), in a seeded order. */
    public static List<ClassificationExample> balance(List<ClassificationExample> data, long seed) {
        Map<String, List<ClassificationExample>> byLabel = new LinkedHashMap<>();
        for (ClassificationExample e : data) byLabel.computeIfAbsent(e.label(), k -> new ArrayList<>()).add(e);
        int smallest = byLabel.values().stream().mapToInt(List::size).min().orElse(0);
        Random r = new Random(seed);
        List<ClassificationExample> out = new ArrayList<>();
        for (List<ClassificationExample> group : byLabel.values()) {
            List<ClassificationExample> g = new ArrayList<>(group);
            Collections.shuffle(g, r);
            out.addAll(g.subList(0, smallest));
        }
        return out;
    }

    /** The book's random_split: shuffle (seeded), then the first 70% train, the next 10% validation, the rest test. */
    public static Split split(List<ClassificationExample> data, double train, double validation, long seed) {
        List<ClassificationExample> shuffled = new ArrayList<>(data);
        Collections.shuffle(shuffled, new Random(seed));
        int trainEnd = (int) (shuffled.size() * train), validationEnd = trainEnd + (int) (shuffled.size() * validation);
        return new Split(shuffled.subList(0, trainEnd), shuffled.subList(trainEnd, validationEnd),
                shuffled.subList(validationEnd, shuffled.size()));
    }

    /** Token sequences cut to maxLength (when given) and padded with 50256 to it, or to the longest. */
    public static int[][] pad(List<int[]> sequences, Integer maxLength) {
        int length = 0;
        for (int[] s : sequences) length = Math.max(length, s.length);
        if (maxLength != null) length = maxLength;
        int[][] out = new int[sequences.size()][];
        for (int i = 0; i < out.length; i++) {
            int[] s = sequences.get(i);
            out[i] = Arrays.copyOf(s, length);
            if (s.length < length) Arrays.fill(out[i], s.length, length, InstructionCollate.END_OF_TEXT);
        }
        return out;
    }
}
