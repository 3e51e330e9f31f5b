package dev.llmsuite.finetune;

import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reading Alpaca-format files (a JSON array, or JSON lines) and the book's 85/10/5 split. */
public final class InstructionData {
    /** The book's portions, in its order: train, test, validation (the rest). */
    public record Split(List<InstructionExample> train, List<InstructionExample> test, List<InstructionExample> validation) {}

    private InstructionData() {}

    public static List<InstructionExample> read(Path file) throws IOException {
        String text = Files.readString(file).strip();
        List<Object> records = new ArrayList<>();
        if (text.startsWith("[")) {
            records.addAll((List<?>) Json.parse(text));
        } else {
            for (String line : text.split("\n")) if (!line.isBlank()) records.add(Json.parse(line));
        }
        List<InstructionExample> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            if (!(records.get(i) instanceof Map<?, ?> m)) throw new IOException(file + ": record " + i + " is not an object");
            try {
                out.add(new InstructionExample((String) m.get("instruction"), (String) m.get("input"), (String) m.get("output")));
            } catch (IllegalArgumentException | ClassCastException e) {
                throw new IOException(file + ": record " + i + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** As the book splits: the first 85% train, the next 10% test, the rest validation (no shuffle). */
    public static Split split(List<InstructionExample> data) {
        int train = (int) (data.size() * 0.85), test = (int) (data.size() * 0.1);
        return new Split(data.subList(0, train), data.subList(train, train + test), data.subList(train + test, data.size()));
    }
}
