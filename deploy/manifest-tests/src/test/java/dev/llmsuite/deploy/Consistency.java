package dev.llmsuite.deploy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cross-checks of a rendered deployment against itself and against the services: topics, configuration
 * keys, probes, ports, and the references between objects (ConfigMaps, Secrets, volumes, selectors).
 */
final class Consistency {
    /** Secrets the operator creates by hand (never in the manifests): deploy/README.md lists them. */
    static final Set<String> EXTERNAL_SECRETS = Set.of("llm-api-keys");
    /** Variables the JVM or Kubernetes read, not the service's configuration. */
    private static final Set<String> PLATFORM_ENV = Set.of("KUBERNETES_NAMESPACE", "JAVA_TOOL_OPTIONS", "JAVA_OPTS_APPEND", "JDK_JAVA_OPTIONS");
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\(([A-Z0-9_]+)\\)");
    private static final Set<String> HEALTH_PATHS = Set.of("/q/health/live", "/q/health/ready", "/q/health/started");

    private Consistency() {}

    static List<String> check(List<Map<String, Object>> objects, Map<String, ServiceFacts> services, List<String> suiteTopics) {
        List<String> problems = new ArrayList<>();
        List<Map<String, Object>> workloads = objects.stream().filter(o -> Set.of("Deployment", "StatefulSet").contains(Yaml.kind(o))).toList();
        Set<String> kafkas = names(objects, "Kafka");
        // topics: every one a service or the suite names is a KafkaTopic of a Kafka cluster here
        Set<String> declared = new HashSet<>();
        for (Map<String, Object> t : objects) {
            if (!"KafkaTopic".equals(Yaml.kind(t))) continue;
            String topic = (String) Objects.requireNonNullElse(Yaml.at(t, "spec.topicName"), Yaml.name(t));
            declared.add(topic);
            Object cluster = Yaml.at(t, "metadata.labels") instanceof Map<?, ?> l ? l.get("strimzi.io/cluster") : null;
            if (!kafkas.contains(cluster)) problems.add(Yaml.id(t) + ": strimzi.io/cluster '" + cluster + "' is not a Kafka here");
        }
        for (String topic : suiteTopics) if (!declared.contains(topic)) problems.add("topic " + topic + " (Topics.ALL) has no KafkaTopic");
        for (ServiceFacts s : services.values()) {
            for (String topic : s.topics()) {
                if (!declared.contains(topic)) problems.add(s.name() + " uses topic " + topic + ", which has no KafkaTopic");
            }
        }
        Set<String> configMaps = names(objects, "ConfigMap"), claims = names(objects, "PersistentVolumeClaim");
        for (ServiceFacts s : services.values()) {
            Map<String, Object> w = workloads.stream().filter(o -> s.name().equals(Yaml.name(o))).findFirst().orElse(null);
            if (w == null) {
                problems.add(s.name() + " has no Deployment or StatefulSet");
                continue;
            }
            for (Object c : Yaml.list(Yaml.at(w, "spec.template.spec.containers"))) {
                Map<String, Object> container = Yaml.map(c);
                String where = Yaml.id(w) + " container " + container.get("name");
                // A variable the container's other variables use as $(NAME) (a pod field, say) need not be a key itself.
                Set<String> referenced = new HashSet<>();
                for (Object e : list(container.get("env"))) {
                    Matcher m = ENV_REFERENCE.matcher(String.valueOf(Yaml.map(e).get("value")));
                    while (m.find()) referenced.add(m.group(1));
                }
                for (Object e : list(container.get("env"))) {
                    Map<String, Object> env = Yaml.map(e);
                    String name = (String) env.get("name");
                    if (!PLATFORM_ENV.contains(name) && !referenced.contains(name) && !s.readsEnv(name)) {
                        problems.add(where + ": env " + name + " is no configuration key of " + s.name());
                    }
                    Object secret = Yaml.at(env, "valueFrom.secretKeyRef.name");
                    if (secret != null && !EXTERNAL_SECRETS.contains(secret) && !names(objects, "Secret").contains(secret)) {
                        problems.add(where + ": env " + name + " reads Secret " + secret + ", which nothing creates");
                    }
                }
                for (Object ef : list(container.get("envFrom"))) {
                    Object cm = Yaml.at(Yaml.map(ef), "configMapRef.name");
                    if (cm == null) continue;
                    Map<String, Object> map = objects.stream().filter(o -> "ConfigMap".equals(Yaml.kind(o)) && cm.equals(Yaml.name(o))).findFirst().orElse(null);
                    if (map == null) {
                        problems.add(where + ": envFrom ConfigMap " + cm + " does not exist");
                        continue;
                    }
                    for (Object key : Yaml.map(Objects.requireNonNullElse(map.get("data"), Map.of())).keySet()) {
                        if (!PLATFORM_ENV.contains(key) && !s.readsEnv((String) key)) {
                            problems.add(where + ": ConfigMap " + cm + " sets " + key + ", no configuration key of " + s.name());
                        }
                    }
                }
                for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                    Object path = Yaml.at(container, probe + ".httpGet.path");
                    Object port = Yaml.at(container, probe + ".httpGet.port");
                    if (path == null) continue;
                    if (!HEALTH_PATHS.contains(path) || !s.health()) problems.add(where + ": " + probe + " path " + path + " is not served by " + s.name());
                    if (!Objects.equals(port, s.httpPort()) && !"http".equals(port)) problems.add(where + ": " + probe + " port " + port + " is not " + s.httpPort());
                }
                for (Object p : list(container.get("ports"))) {
                    Object cp = Yaml.map(p).get("containerPort");
                    if (!Objects.equals(cp, s.httpPort())) problems.add(where + ": containerPort " + cp + " but the service listens on " + s.httpPort());
                }
            }
            for (Object v : list(Yaml.at(w, "spec.template.spec.volumes"))) {
                Object claim = Yaml.at(Yaml.map(v), "persistentVolumeClaim.claimName");
                if (claim != null && !claims.contains(claim)) problems.add(Yaml.id(w) + ": volume claim " + claim + " does not exist");
            }
        }
        // references between objects
        for (Map<String, Object> o : objects) {
            switch (Yaml.kind(o)) {
                case "Service", "PodDisruptionBudget" -> {
                    Object sel = "Service".equals(Yaml.kind(o)) ? Yaml.at(o, "spec.selector") : Yaml.at(o, "spec.selector.matchLabels");
                    if (sel instanceof Map<?, ?> selector && workloads.stream().noneMatch(w -> matches(selector, Yaml.at(w, "spec.template.metadata.labels")))) {
                        problems.add(Yaml.id(o) + ": its selector " + selector + " matches no pod template");
                    }
                }
                case "HorizontalPodAutoscaler" -> {
                    Object target = Yaml.at(o, "spec.scaleTargetRef.name");
                    if (workloads.stream().noneMatch(w -> target.equals(Yaml.name(w)))) problems.add(Yaml.id(o) + ": target " + target + " does not exist");
                }
                case "KafkaNodePool" -> {
                    Object cluster = Yaml.at(o, "metadata.labels") instanceof Map<?, ?> l ? l.get("strimzi.io/cluster") : null;
                    if (!kafkas.contains(cluster)) problems.add(Yaml.id(o) + ": strimzi.io/cluster '" + cluster + "' is not a Kafka here");
                }
                default -> { }
            }
        }
        return problems;
    }

    private static boolean matches(Map<?, ?> selector, Object labels) {
        return labels instanceof Map<?, ?> l && selector.entrySet().stream().allMatch(e -> Objects.equals(l.get(e.getKey()), e.getValue()));
    }

    private static Set<String> names(List<Map<String, Object>> objects, String kind) {
        Set<String> out = new HashSet<>();
        for (Map<String, Object> o : objects) if (kind.equals(Yaml.kind(o))) out.add(Yaml.name(o));
        return out;
    }

    private static List<Object> list(Object o) {
        return o == null ? List.of() : Yaml.list(o);
    }
}
