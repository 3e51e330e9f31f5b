package dev.llmsuite.engine.io;

import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.train.AdamW;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW's state beside a checkpoint, in its own file so the model files stay exactly what Hugging Face
 * reads: {@code optimizer.safetensors} with the two moments ({@code exp_avg}, {@code exp_avg_sq}, flat,
 * laid out like the engine's parameters) and the step count and settings as metadata.
 */
public final class OptimizerState {
    public static final String FILE = "optimizer.safetensors";

    private OptimizerState() {}

    public static void save(AdamW optimizer, GptModel model, Path dir) throws IOException {
        long n = model.layout().totalSize();
        var be = model.backend();
        // streamed from the backend a piece at a time: the moments are twice the model, never copied whole
        Map<String, Safetensors.Data> tensors = new LinkedHashMap<>();
        tensors.put("exp_avg", Safetensors.Data.streamed(n, (from, dst, len) -> be.read(optimizer.firstMoment(), from, dst, 0, len), n));
        tensors.put("exp_avg_sq", Safetensors.Data.streamed(n, (from, dst, len) -> be.read(optimizer.secondMoment(), from, dst, 0, len), n));
        AdamW.Settings s = optimizer.settings();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("step", Integer.toString(optimizer.stepCount()));
        meta.put("beta1", Float.toString(s.beta1()));
        meta.put("beta2", Float.toString(s.beta2()));
        meta.put("eps", Float.toString(s.eps()));
        meta.put("weight_decay", Float.toString(s.weightDecay()));
        Safetensors.write(dir.resolve(FILE), tensors, meta);
    }

    /** Reads the moments and step count into an optimizer of the same model shape. */
    public static void restore(AdamW optimizer, GptModel model, Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        long n = model.layout().totalSize();
        try (Safetensors.Reader r = Safetensors.open(file)) {
            for (String name : new String[] {"exp_avg", "exp_avg_sq"}) {
                Safetensors.Entry e = r.entries().get(name);
                if (e == null) throw new IOException(file + ": missing tensor " + name);
                if (e.elements() != n) throw new IOException(file + ": " + name + " has " + e.elements() + " values, the model " + n);
            }
            String step = r.metadata().get("step");
            if (step == null || !step.matches("\\d{1,9}")) throw new IOException(file + ": no valid step count in its metadata");
            float[] m = r.floats("exp_avg"), v = r.floats("exp_avg_sq");
            model.backend().write(optimizer.firstMoment(), 0, m, 0, m.length);
            model.backend().write(optimizer.secondMoment(), 0, v, 0, v.length);
            optimizer.restoreStepCount(Integer.parseInt(step));
        }
    }
}
