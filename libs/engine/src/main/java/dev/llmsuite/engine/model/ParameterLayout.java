package dev.llmsuite.engine.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every parameter lives in the one flat parameter buffer (and, at the same offsets, in the
 * gradient and optimizer buffers). Names are Hugging Face GPT-2's; matmul weights are stored
 * [out, in] (PyTorch Linear) and transposed to Conv1D's [in, out] only in checkpoint files.
 */
public final class ParameterLayout {

    /**
     * @param shape  the shape as stored here
     * @param decay  whether AdamW decays it (matrices and embeddings; not biases or LayerNorm)
     * @param conv1d whether the Hugging Face file holds it transposed ([in, out])
     */
    public record Spec(String name, int[] shape, long offset, long size, boolean decay, boolean conv1d) {}

    private final Map<String, Spec> byName;
    private final long total;

    private ParameterLayout(Map<String, Spec> byName, long total) {
        this.byName = Collections.unmodifiableMap(byName);
        this.total = total;
    }

    public static ParameterLayout of(GptConfig c) {
        Builder b = new Builder();
        int v = c.vocabSize(), t = c.contextLength(), d = c.embeddingDim();
        b.add("wte", true, false, v, d);
        b.add("wpe", true, false, t, d);
        for (int l = 0; l < c.layers(); l++) {
            String p = "h." + l + ".";
            b.add(p + "ln_1.weight", false, false, d);
            b.add(p + "ln_1.bias", false, false, d);
            b.add(p + "attn.c_attn.weight", true, true, 3 * d, d);
            if (c.qkvBias()) b.add(p + "attn.c_attn.bias", false, false, 3 * d);
            b.add(p + "attn.c_proj.weight", true, true, d, d);
            b.add(p + "attn.c_proj.bias", false, false, d);
            b.add(p + "ln_2.weight", false, false, d);
            b.add(p + "ln_2.bias", false, false, d);
            b.add(p + "mlp.c_fc.weight", true, true, 4 * d, d);
            b.add(p + "mlp.c_fc.bias", false, false, 4 * d);
            b.add(p + "mlp.c_proj.weight", true, true, d, 4 * d);
            b.add(p + "mlp.c_proj.bias", false, false, d);
        }
        b.add("ln_f.weight", false, false, d);
        b.add("ln_f.bias", false, false, d);
        if (!c.tiedOutputHead()) b.add("lm_head.weight", true, false, v, d);
        return new ParameterLayout(b.specs, b.offset);
    }

    /** LoRA adapters' A [r, in] and B [out, r] per covered (layer, target), in one buffer of their own. */
    public static ParameterLayout ofAdapters(GptConfig c, LoraAdapters.Settings settings) {
        Builder b = new Builder();
        int d = c.embeddingDim(), r = settings.rank();
        for (int l = 0; l < c.layers(); l++) {
            if (!settings.layers().isEmpty() && !settings.layers().contains(l)) continue;
            for (LoraAdapters.Target t : LoraAdapters.Target.values()) {
                if (!settings.targets().contains(t)) continue;
                b.add(LoraAdapters.name(l, t, 'A'), true, false, r, t.in(d));
                b.add(LoraAdapters.name(l, t, 'B'), true, false, t.out(d), r);
            }
        }
        if (b.specs.isEmpty()) throw new IllegalArgumentException("LoRA settings cover no layer of this model");
        return new ParameterLayout(b.specs, b.offset);
    }

    public long totalSize() { return total; }

    public Spec get(String name) {
        Spec s = byName.get(name);
        if (s == null) throw new IllegalArgumentException("no parameter " + name);
        return s;
    }

    public boolean has(String name) { return byName.containsKey(name); }

    public List<Spec> specs() { return new ArrayList<>(byName.values()); }

    private static final class Builder {
        final Map<String, Spec> specs = new LinkedHashMap<>();
        long offset;

        void add(String name, boolean decay, boolean conv1d, int... shape) {
            long size = 1;
            for (int s : shape) size *= s;
            specs.put(name, new Spec(name, shape, offset, size, decay, conv1d));
            offset += size;
        }
    }
}
