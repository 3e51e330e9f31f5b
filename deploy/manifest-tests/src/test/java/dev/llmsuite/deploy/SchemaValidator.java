package dev.llmsuite.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates objects against the Kubernetes model (fabric8) and the Strimzi model: each object is read
 * into its typed class (a wrong type fails), and any field the model does not know, which the models
 * keep aside in "additionalProperties", is reported with its path. A kind without a model is an error.
 */
final class SchemaValidator {
    private static final Map<String, Class<?>> MODELS = Map.ofEntries(
            Map.entry("v1/Service", Service.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("apps/v1/StatefulSet", StatefulSet.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
            Map.entry("monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class),
            Map.entry("kafka.strimzi.io/v1beta2/Kafka", Kafka.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaNodePool", KafkaNodePool.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", KafkaTopic.class));

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);

    private SchemaValidator() {}

    static List<String> validate(List<Map<String, Object>> objects) {
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> o : objects) {
            String type = o.get("apiVersion") + "/" + o.get("kind");
            Class<?> model = MODELS.get(type);
            if (model == null) {
                problems.add(Yaml.id(o) + ": no schema for " + type);
                continue;
            }
            try {
                Object typed = JSON.convertValue(o, model);
                unknownFields(typed, Yaml.id(o), problems, new IdentityHashMap<>());
            } catch (IllegalArgumentException e) {
                problems.add(Yaml.id(o) + ": " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        return problems;
    }

    /** Walks the typed object; every non-empty additionalProperties is a field the schema does not have. */
    private static void unknownFields(Object o, String path, List<String> problems, Map<Object, Boolean> seen) {
        if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean || o instanceof Enum<?>
                || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, problems, seen));
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) unknownFields(item, path + "[" + i++ + "]", problems, seen);
            return;
        }
        if (!o.getClass().getPackageName().startsWith("io.fabric8") && !o.getClass().getPackageName().startsWith("io.strimzi")) return;
        for (Method getter : o.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || getter.getDeclaringClass() == Object.class) continue;
            String n = getter.getName();
            if (!(n.startsWith("get") || n.startsWith("is"))) continue;
            try {
                Object v = getter.invoke(o);
                if (n.equals("getAdditionalProperties")) {
                    if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        for (Object key : extra.keySet()) problems.add(path + ": unknown field '" + key + "'");
                    }
                } else {
                    String field = n.startsWith("get") ? n.substring(3) : n.substring(2);
                    unknownFields(v, path + "." + Character.toLowerCase(field.charAt(0)) + field.substring(1), problems, seen);
                }
            } catch (ReflectiveOperationException | RuntimeException ignored) {
                // a computed getter that needs more context: not a field
            }
        }
    }
}
