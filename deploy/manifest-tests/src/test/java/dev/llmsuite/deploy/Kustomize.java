package dev.llmsuite.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders a kustomization directory with the subset of Kustomize this repository uses: resources
 * (files and directories), components, configMapGenerator (literals; create or merge; no name hash),
 * strategic-merge patches (by the patch's kind and name, or a target kind), replicas, images,
 * namespace, and labels on metadata. A field outside that subset is an error, so the renderer never
 * silently differs from Kustomize; where kubectl is installed the tests compare the two.
 */
final class Kustomize {
    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "components", "patches",
            "configMapGenerator", "generatorOptions", "replicas", "images", "namespace", "labels");
    /** Kinds without a namespace. */
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "CustomResourceDefinition", "PersistentVolume", "StorageClass", "PriorityClass");
    /** Built-in kinds: lists of named items merge by name; in custom resources lists are replaced. */
    private static final Set<String> BUILT_IN = Set.of("Deployment", "StatefulSet", "Service", "ConfigMap",
            "PersistentVolumeClaim", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret", "Job");

    private Kustomize() {}

    static List<Map<String, Object>> build(Path dir) {
        List<Map<String, Object>> objects = new ArrayList<>();
        apply(dir, objects, false);
        return objects;
    }

    private static void apply(Path dir, List<Map<String, Object>> objects, boolean asComponent) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + " has no kustomization.yaml");
        Map<String, Object> k = Yaml.documents(file).getFirst();
        for (String key : k.keySet()) {
            if (!SUPPORTED.contains(key)) throw new IllegalArgumentException(file + ": field '" + key + "' is outside the supported subset");
        }
        if (asComponent != "Component".equals(k.get("kind"))) {
            throw new IllegalArgumentException(file + ": kind " + k.get("kind") + (asComponent ? " where a Component belongs" : ""));
        }
        for (Object r : listOf(k.get("resources"))) {
            Path p = dir.resolve((String) r).normalize();
            if (Files.isDirectory(p)) objects.addAll(build(p));
            else objects.addAll(Yaml.documents(p));
        }
        for (Object c : listOf(k.get("components"))) apply(dir.resolve((String) c).normalize(), objects, true);
        Map<String, Object> options = k.get("generatorOptions") == null ? Map.of() : Yaml.map(k.get("generatorOptions"));
        if (k.get("configMapGenerator") != null && !Boolean.TRUE.equals(options.get("disableNameSuffixHash"))) {
            throw new IllegalArgumentException(file + ": only generators with disableNameSuffixHash: true are supported");
        }
        for (Object g : listOf(k.get("configMapGenerator"))) generate(Yaml.map(g), objects, file);
        for (Object p : listOf(k.get("patches"))) patch(dir, Yaml.map(p), objects);
        for (Object r : listOf(k.get("replicas"))) {
            Map<String, Object> m = Yaml.map(r);
            for (Map<String, Object> o : objects) {
                if (m.get("name").equals(Yaml.name(o)) && Set.of("Deployment", "StatefulSet").contains(Yaml.kind(o))) {
                    Yaml.map(o.get("spec")).put("replicas", m.get("count"));
                }
            }
        }
        for (Object i : listOf(k.get("images"))) retag(Yaml.map(i), objects);
        if (k.get("namespace") != null) {
            for (Map<String, Object> o : objects) {
                if (!CLUSTER_SCOPED.contains(Yaml.kind(o))) Yaml.map(o.get("metadata")).put("namespace", k.get("namespace"));
            }
        }
        for (Object l : listOf(k.get("labels"))) {
            Map<String, Object> spec = Yaml.map(l);
            if (Boolean.TRUE.equals(spec.get("includeSelectors")) || Boolean.TRUE.equals(spec.get("includeTemplates"))) {
                throw new IllegalArgumentException(file + ": labels on selectors or templates are outside the supported subset");
            }
            for (Map<String, Object> o : objects) {
                Map<String, Object> meta = Yaml.map(o.get("metadata"));
                Map<String, Object> labels = meta.get("labels") == null ? new LinkedHashMap<>() : Yaml.map(meta.get("labels"));
                labels.putAll(Yaml.map(spec.get("pairs")));
                meta.put("labels", labels);
            }
        }
    }

    private static void generate(Map<String, Object> g, List<Map<String, Object>> objects, Path file) {
        String name = (String) g.get("name");
        Map<String, Object> data = new LinkedHashMap<>();
        for (Object lit : listOf(g.get("literals"))) {
            String s = (String) lit;
            int eq = s.indexOf('=');
            data.put(s.substring(0, eq), s.substring(eq + 1));
        }
        String behavior = (String) g.getOrDefault("behavior", "create");
        Map<String, Object> existing = objects.stream().filter(o -> "ConfigMap".equals(Yaml.kind(o)) && name.equals(Yaml.name(o)))
                .findFirst().orElse(null);
        if (behavior.equals("merge")) {
            if (existing == null) throw new IllegalArgumentException(file + ": no ConfigMap " + name + " to merge into");
            Yaml.map(existing.get("data")).putAll(data);
            return;
        }
        if (!behavior.equals("create") || existing != null) throw new IllegalArgumentException(file + ": ConfigMap " + name + " " + behavior);
        Map<String, Object> cm = new LinkedHashMap<>();
        cm.put("apiVersion", "v1");
        cm.put("kind", "ConfigMap");
        cm.put("metadata", new LinkedHashMap<>(Map.of("name", name)));
        cm.put("data", data);
        objects.add(cm);
    }

    private static void patch(Path dir, Map<String, Object> spec, List<Map<String, Object>> objects) {
        Map<String, Object> target = spec.get("target") == null ? null : Yaml.map(spec.get("target"));
        for (Map<String, Object> p : Yaml.documents(dir.resolve((String) spec.get("path")))) {
            String kind = target != null ? (String) target.get("kind") : Yaml.kind(p);
            String name = target != null ? (String) target.get("name") : Yaml.name(p);
            boolean found = false;
            for (Map<String, Object> o : objects) {
                if (!kind.equals(Yaml.kind(o)) || (name != null && !name.equals(Yaml.name(o)))) continue;
                Map<String, Object> body = new LinkedHashMap<>(p);
                body.remove("apiVersion");
                body.remove("kind");
                body.remove("metadata");
                merge(o, body, BUILT_IN.contains(kind));
                found = true;
            }
            if (!found) throw new IllegalArgumentException(dir.resolve((String) spec.get("path")) + ": nothing to patch for " + kind + "/" + name);
        }
    }

    /**
     * Strategic merge: maps merge, null deletes, lists of named items merge by name (built-in kinds; items only the
     * patch has come first, as kubectl puts them), other lists are replaced.
     */
    static void merge(Map<String, Object> base, Map<String, Object> patch, boolean builtIn) {
        for (var e : patch.entrySet()) {
            Object pv = e.getValue(), bv = base.get(e.getKey());
            if (pv == null) {
                base.remove(e.getKey());
            } else if (pv instanceof Map<?, ?> pm && bv instanceof Map<?, ?>) {
                merge(Yaml.map(bv), Yaml.map(pm), builtIn);
            } else if (pv instanceof List<?> pl && bv instanceof List<?> bl && builtIn && named(pl) && named(bl)) {
                List<Object> merged = new ArrayList<>(bl), added = new ArrayList<>();
                for (Object item : pl) {
                    Map<String, Object> im = Yaml.map(item);
                    Map<String, Object> same = merged.stream().map(Yaml::map).filter(m -> im.get("name").equals(m.get("name"))).findFirst().orElse(null);
                    if (same != null) merge(same, im, builtIn);
                    else added.add(item);
                }
                added.addAll(merged);
                base.put(e.getKey(), added);
            } else {
                base.put(e.getKey(), pv);
            }
        }
    }

    private static boolean named(List<?> l) {
        return l.stream().allMatch(i -> i instanceof Map<?, ?> m && m.get("name") instanceof String);
    }

    private static void retag(Map<String, Object> image, List<Map<String, Object>> objects) {
        String name = (String) image.get("name");
        for (Map<String, Object> o : objects) {
            Object containers = Yaml.at(o, "spec.template.spec.containers");
            if (containers == null) continue;
            for (Object c : Yaml.list(containers)) {
                Map<String, Object> cm = Yaml.map(c);
                String current = (String) cm.get("image");
                int colon = current.lastIndexOf(':');
                String repo = colon > current.lastIndexOf('/') ? current.substring(0, colon) : current;
                String tag = colon > current.lastIndexOf('/') ? current.substring(colon + 1) : null;
                if (!repo.equals(name)) continue;
                String newRepo = (String) image.getOrDefault("newName", repo);
                String newTag = (String) image.getOrDefault("newTag", tag);
                cm.put("image", newTag == null ? newRepo : newRepo + ":" + newTag);
            }
        }
    }

    private static List<Object> listOf(Object o) {
        return o == null ? List.of() : Yaml.list(o);
    }
}
