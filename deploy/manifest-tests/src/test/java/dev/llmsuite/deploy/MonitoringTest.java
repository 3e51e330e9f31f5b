package dev.llmsuite.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alert rules and the Grafana dashboard (components/service-monitor) query only metrics the services export:
 * a renamed meter fails here, not silently on a cluster. Exported names are read from the services' sources, as
 * Micrometer turns them into Prometheus names (dots to underscores; counters _total; timers _seconds with _count,
 * _sum, _max and quantiles).
 */
class MonitoringTest {
    private static final Pattern METER = Pattern.compile("(?:counter|timer|gauge|gaugeMapSize|gaugeCollectionSize|summary|builder)\\(\"(llm\\.[a-z0-9._]+)\"");
    private static final Pattern QUERIED = Pattern.compile("\\b((?:llm|http_server)_[a-z0-9_]+)\\b");
    /** Quarkus' own HTTP server metrics (quarkus-micrometer), which every service exports. */
    private static final Set<String> QUARKUS = Set.of("http_server_requests_seconds_count", "http_server_requests_seconds_sum",
            "http_server_requests_seconds_max");

    @Test
    void everyMetricTheRulesAndTheDashboardQueryIsExported() throws IOException {
        List<Map<String, Object>> production = Kustomize.build(ManifestsTest.KUBERNETES.resolve("overlays/production"));
        List<String> queries = new ArrayList<>();
        int alerts = 0;
        for (Map<String, Object> o : production) {
            if ("PrometheusRule".equals(Yaml.kind(o))) {
                for (Object g : Yaml.list(Yaml.at(o, "spec.groups"))) {
                    for (Object r : Yaml.list(Yaml.map(g).get("rules"))) {
                        Map<String, Object> rule = Yaml.map(r);
                        assertTrue(rule.get("alert") != null && Yaml.at(rule, "annotations.summary") != null, "every rule alerts and says why: " + rule);
                        queries.add((String) rule.get("expr"));
                        alerts++;
                    }
                }
            }
            if ("llm-suite-grafana-dashboard".equals(Yaml.name(o))) {
                JsonNode dashboard = new ObjectMapper().readTree((String) Yaml.map(o.get("data")).get("llm-suite.json"));
                for (JsonNode panel : dashboard.get("panels")) for (JsonNode t : panel.get("targets")) queries.add(t.get("expr").asText());
            }
        }
        assertTrue(alerts >= 5, "the rules are in production: " + alerts);
        assertTrue(queries.size() > alerts, "the dashboard is in production");
        Set<String> exported = exported();
        assertEquals(Set.of(), unknown(queries, exported), "metrics queried that no service exports");
        assertEquals(Set.of("llm_trainer_lossy_total"), unknown(List.of("rate(llm_trainer_lossy_total[5m])"), exported),
                "the check notices a name no service exports");
    }

    private static Set<String> unknown(List<String> queries, Set<String> exported) {
        Set<String> unknown = new TreeSet<>();
        for (String q : queries) {
            Matcher m = QUERIED.matcher(q);
            while (m.find()) if (!exported.contains(m.group(1)) && !QUARKUS.contains(m.group(1))) unknown.add(m.group(1));
        }
        return unknown;
    }

    /** The Prometheus names of every meter a service registers. */
    private static Set<String> exported() {
        Set<String> names = new TreeSet<>();
        for (String service : ServiceFacts.SERVICES) {
            try (Stream<Path> files = Files.walk(ManifestsTest.ROOT.resolve(service).resolve("src/main/java"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = METER.matcher(Files.readString(f));
                    while (m.find()) {
                        String base = m.group(1).replace('.', '_');
                        for (String suffix : List.of("", "_total", "_seconds", "_seconds_count", "_seconds_sum", "_seconds_max")) {
                            names.add(base + suffix);
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        assertFalse(names.isEmpty());
        return names;
    }
}
