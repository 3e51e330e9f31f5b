package dev.llmsuite.deploy;

import dev.llmsuite.records.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deploy/kubernetes, every overlay: rendered, schema-valid, consistent with the services. */
class ManifestsTest {
    static final Path ROOT = Path.of(System.getProperty("suite.root", "../..")).toAbsolutePath().normalize();
    static final Path KUBERNETES = ROOT.resolve("deploy/kubernetes");

    static Map<String, ServiceFacts> services() {
        Map<String, ServiceFacts> out = new LinkedHashMap<>();
        for (String s : ServiceFacts.SERVICES) out.put(s, ServiceFacts.of(ROOT, s));
        return out;
    }

    /** Schema problems and consistency problems of one rendered overlay. */
    static List<String> problems(List<Map<String, Object>> objects) {
        List<String> all = new ArrayList<>(SchemaValidator.validate(objects));
        all.addAll(Consistency.check(objects, services(), Topics.ALL));
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "production", "gpu", "native"})
    void everyOverlayIsValidAndConsistent(String overlay) {
        List<Map<String, Object>> objects = Kustomize.build(KUBERNETES.resolve("overlays").resolve(overlay));
        assertTrue(objects.size() >= 25, overlay + " renders " + objects.size() + " objects");
        List<String> problems = problems(objects);
        assertEquals(List.of(), problems, overlay);
    }

    @Test
    void theOverlaysSayWhatTheyPromise() {
        List<Map<String, Object>> gpu = Kustomize.build(KUBERNETES.resolve("overlays/gpu"));
        for (String s : List.of("trainer-service", "inference-service")) {
            Map<String, Object> w = gpu.stream().filter(o -> s.equals(Yaml.name(o)) && Yaml.at(o, "spec.template") != null).findFirst().orElseThrow();
            Map<String, Object> container = Yaml.map(Yaml.list(Yaml.at(w, "spec.template.spec.containers")).getFirst());
            assertEquals(1, Yaml.map(Yaml.at(container, "resources.limits")).get("nvidia.com/gpu"), s + " asks for a GPU");
            Map<String, Object> config = gpu.stream().filter(o -> (s + "-config").equals(Yaml.name(o))).findFirst().orElseThrow();
            assertEquals("tornado", Yaml.at(config, "data.LLM_COMPUTE_BACKEND"), s + " computes with TornadoVM");
            String jvm = (String) Yaml.at(config, "data.JDK_JAVA_OPTIONS");
            assertTrue(jvm.contains("--module-path /opt/tornadovm/share/java/tornado") && jvm.contains("-Dtornado.recover.bailout=false"),
                    s + " starts its JVM with the TornadoVM runtime, bailout off: " + jvm);
        }
        List<Map<String, Object>> production = Kustomize.build(KUBERNETES.resolve("overlays/production"));
        for (Map<String, Object> t : production) {
            if ("KafkaTopic".equals(Yaml.kind(t))) assertEquals(3, Yaml.at(t, "spec.replicas"), Yaml.id(t));
        }
        assertTrue(production.stream().anyMatch(o -> "ServiceMonitor".equals(Yaml.kind(o))), "production scrapes with ServiceMonitors");
        assertTrue(Kustomize.build(KUBERNETES.resolve("overlays/local")).stream().noneMatch(o -> "ServiceMonitor".equals(Yaml.kind(o))),
                "local relies on the prometheus.io annotations");
        List<Map<String, Object>> nativeImages = Kustomize.build(KUBERNETES.resolve("overlays/native"));
        for (String s : ServiceFacts.SERVICES) {
            Map<String, Object> w = nativeImages.stream().filter(o -> s.equals(Yaml.name(o)) && Yaml.at(o, "spec.template") != null).findFirst().orElseThrow();
            String image = (String) Yaml.map(Yaml.list(Yaml.at(w, "spec.template.spec.containers")).getFirst()).get("image");
            boolean native_ = s.equals("tokenizer-service") || s.equals("sampler-service");
            assertEquals(native_, image.endsWith("-native"), s + " in the native overlay: " + image);
        }
    }

    @Test
    void theGeneratedManifestsAreTheServicesCurrentOnes() {
        for (String s : ServiceFacts.SERVICES) {
            Path fresh = ROOT.resolve(s).resolve("target/kubernetes/kubernetes.yml");
            Path committed = KUBERNETES.resolve("base/generated").resolve(s + ".yml");
            assertTrue(Files.exists(fresh), s + " is not packaged");
            assertEquals(withoutBuildContext(Yaml.documents(fresh)), withoutBuildContext(Yaml.documents(committed)),
                    committed + " is stale: run deploy/refresh-generated.sh after ./mvnw package, and commit it");
        }
    }

    /** The annotations that name where a build ran (a clone's remote, a commit), not what it builds. */
    private static List<Map<String, Object>> withoutBuildContext(List<Map<String, Object>> docs) {
        for (Map<String, Object> d : docs) strip(d);
        return docs;
    }

    private static void strip(Object node) {
        if (node instanceof Map<?, ?> m) {
            if (m.get("annotations") instanceof Map<?, ?> a) {
                a.keySet().removeIf(k -> k.toString().startsWith("app.quarkus.io/vcs") || k.toString().equals("app.quarkus.io/commit-id")
                        || k.toString().equals("app.quarkus.io/build-timestamp"));
            }
            m.values().forEach(ManifestsTest::strip);
        } else if (node instanceof List<?> l) {
            l.forEach(ManifestsTest::strip);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "production", "gpu", "native"})
    void theRendererAgreesWithKubectlKustomize(String overlay) throws Exception {
        Path dir = KUBERNETES.resolve("overlays").resolve(overlay);
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("skipped: kubectl is not installed, so only this project's renderer checks the overlays");
            return;
        }
        String out = new String(p.getInputStream().readAllBytes());
        Assumptions.assumeTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "skipped: kubectl kustomize failed: " + out);
        Comparator<Map<String, Object>> byId = Comparator.comparing(Yaml::id);
        List<Map<String, Object>> theirs = new ArrayList<>(Yaml.documents(out));
        List<Map<String, Object>> ours = new ArrayList<>(Kustomize.build(dir));
        theirs.sort(byId);
        ours.sort(byId);
        assertEquals(theirs.stream().map(Yaml::id).toList(), ours.stream().map(Yaml::id).toList());
        for (int i = 0; i < ours.size(); i++) assertEquals(theirs.get(i), ours.get(i), Yaml.id(ours.get(i)));
    }
}
