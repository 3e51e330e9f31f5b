package dev.llmsuite.engine.io;

import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.model.LoraAdapters;
import dev.llmsuite.engine.model.ParameterLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * LoRA adapters saved apart from their base, as PEFT lays them out: {@code adapter_model.safetensors}
 * ({@code base_model.model.transformer.h.N.<layer>.lora_A.weight} [r, in], {@code lora_B.weight} [out, r])
 * with rank, alpha, target layers and the base weights' SHA-256 in its metadata. Loading checks that the
 * adapters were made for this base, before anything is allocated for them.
 */
public final class AdapterFiles {
    public static final String FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.transformer.";

    private AdapterFiles() {}

    /** SHA-256 over the base model's parameters, as the engine holds them. */
    public static String baseHash(GptModel base) {
        int n = (int) base.layout().totalSize();
        float[] all = new float[n];
        base.backend().read(base.parameters(), 0, all, 0, n);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            for (float f : all) {
                if (!buf.hasRemaining()) {
                    md.update(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putFloat(f);
            }
            md.update(buf.array(), 0, buf.position());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void save(LoraAdapters adapters, GptModel base, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Safetensors.Data> tensors = new LinkedHashMap<>();
        for (ParameterLayout.Spec s : adapters.layout().specs()) {
            float[] v = new float[(int) s.size()];
            adapters.backend().read(adapters.parameters(), s.offset(), v, 0, v.length);
            tensors.put(PREFIX + s.name(), Safetensors.Data.of(v, s.shape()[0], s.shape()[1]));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("r", Integer.toString(adapters.settings().rank()));
        meta.put("lora_alpha", Double.toString(adapters.settings().alpha()));
        meta.put("target_modules", String.join(",", new TreeSet<>(adapters.settings().targets().stream().map(t -> t.name()).toList())));
        meta.put("layers", adapters.settings().layers().isEmpty() ? "all"
                : String.join(",", new TreeSet<>(adapters.settings().layers()).stream().map(String::valueOf).toList()));
        meta.put("base_model_sha256", baseHash(base));
        Safetensors.write(dir.resolve(FILE), tensors, meta);
    }

    /** Reads adapters for this base; an adapter made for other weights or another shape is refused. */
    public static LoraAdapters load(GptModel base, Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        try (Safetensors.Reader r = Safetensors.open(file)) {
            Map<String, String> meta = r.metadata();
            String hash = meta.get("base_model_sha256");
            if (hash == null || !hash.equals(baseHash(base))) {
                throw new IOException(file + ": made for base weights " + hash + ", not the loaded ones");
            }
            LoraAdapters.Settings settings;
            try {
                Set<LoraAdapters.Target> targets = EnumSet.noneOf(LoraAdapters.Target.class);
                for (String t : meta.get("target_modules").split(",")) targets.add(LoraAdapters.Target.valueOf(t));
                Set<Integer> layers = new TreeSet<>();
                if (!"all".equals(meta.get("layers"))) for (String l : meta.get("layers").split(",")) layers.add(Integer.parseInt(l));
                settings = new LoraAdapters.Settings(Integer.parseInt(meta.get("r")), Double.parseDouble(meta.get("lora_alpha")), targets, layers);
            } catch (RuntimeException e) {
                throw new IOException(file + ": unreadable adapter settings in its metadata (" + e.getMessage() + ")", e);
            }
            // the settings (a rank, say) are checked against the tensors in the file before anything is allocated
            ParameterLayout layout;
            try {
                layout = ParameterLayout.ofAdapters(base.config(), settings);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
            for (ParameterLayout.Spec s : layout.specs()) {
                Safetensors.Entry e = r.entries().get(PREFIX + s.name());
                if (e == null || e.elements() != s.size()) throw new IOException(file + ": missing or misshapen " + PREFIX + s.name());
            }
            LoraAdapters adapters = new LoraAdapters(base.backend(), base.config(), settings);
            for (ParameterLayout.Spec s : adapters.layout().specs()) {
                float[] v = r.floats(PREFIX + s.name());
                adapters.backend().write(adapters.parameters(), s.offset(), v, 0, v.length);
            }
            return adapters;
        }
    }
}
