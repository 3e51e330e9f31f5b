package dev.llmsuite.engine.io;

import dev.llmsuite.engine.model.ClassifierHead;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.records.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A classifier beside its model's checkpoint: {@code classifier.safetensors} with {@code out_head.weight}
 * [K, C] and {@code out_head.bias} [K], and the class labels (a JSON array) in its metadata. A directory
 * with it is served by inference-service's {@code POST /v1/classify}.
 */
public final class ClassifierFiles {
    public static final String FILE = "classifier.safetensors";

    /** A loaded classifier: its head on the model, and the label of each class. */
    public record Classifier(ClassifierHead head, List<String> labels) {}

    private ClassifierFiles() {}

    public static void save(ClassifierHead head, List<String> labels, GptModel model, Path dir) throws IOException {
        if (labels.size() != head.classes()) throw new IllegalArgumentException(labels.size() + " labels for " + head.classes() + " classes");
        Files.createDirectories(dir);
        float[] v = head.values();
        int k = head.classes(), c = model.config().embeddingDim();
        Map<String, Safetensors.Data> tensors = new LinkedHashMap<>();
        tensors.put("out_head.weight", Safetensors.Data.of(Arrays.copyOf(v, k * c), k, c));
        tensors.put("out_head.bias", Safetensors.Data.of(Arrays.copyOfRange(v, k * c, k * c + k), k));
        Safetensors.write(dir.resolve(FILE), tensors, Map.of("format", "pt", "labels", Json.write(labels)));
    }

    /** The classifier in dir for this model, or null when dir has none. */
    public static Classifier load(GptModel model, Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) return null;
        try (Safetensors.Reader r = Safetensors.open(file)) {
            List<String> labels = new ArrayList<>();
            if (!(Json.parse(r.metadata().getOrDefault("labels", "null")) instanceof List<?> l)) throw new IOException(file + ": no labels in its metadata");
            for (Object o : l) labels.add(String.valueOf(o));
            int k = labels.size(), c = model.config().embeddingDim();
            Safetensors.Entry w = r.entries().get("out_head.weight"), b = r.entries().get("out_head.bias");
            if (w == null || b == null || w.elements() != (long) k * c || b.elements() != k) {
                throw new IOException(file + ": out_head does not fit " + k + " labels and a " + c + "-wide model");
            }
            ClassifierHead head = new ClassifierHead(model, k);
            float[] v = new float[k * c + k];
            System.arraycopy(r.floats("out_head.weight"), 0, v, 0, k * c);
            System.arraycopy(r.floats("out_head.bias"), 0, v, k * c, k);
            head.setValues(v);
            return new Classifier(head, labels);
        }
    }
}
