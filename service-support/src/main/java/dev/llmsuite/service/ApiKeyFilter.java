package dev.llmsuite.service;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/**
 * Optional API keys: when {@code llm.auth.api-keys} is set (a comma-separated list, from a Secret in
 * deployments, e.g. {@code LLM_AUTH_API_KEYS}), every request but the health probes needs
 * {@code Authorization: Bearer <key>}; otherwise it gets 401 with a problem body. Unset: open. The health
 * probes, the pages' HTML (inference's try-it page, the trainer's dashboard), the WebJars they load and (unless {@code llm.auth.open-metrics=false}) /q/metrics stay open.
 */
public class ApiKeyFilter {

    /** Its own prefix: a mapping rooted at "llm" would claim (and reject) every other llm.* key. */
    @ConfigMapping(prefix = "llm.auth")
    public interface ApiKeyConfig {
        Optional<List<String>> apiKeys();

        /**
         * Whether /q/metrics answers without a key, like the health probes, so that Prometheus (the
         * ServiceMonitors, the scrape annotations) reads it as deployed. False: it needs a key like the API,
         * and the scrape must send one (docs/operations.md).
         */
        @WithDefault("true")
        boolean openMetrics();
    }

    /**
     * Answer without a key: the probes, the pages' own files (they ask for the key) and the libraries they load from
     * WebJars (public code, no data), and metrics unless closed.
     */
    private static boolean open(String path, String method, boolean openMetrics) {
        if (path.startsWith("/q/health")) return true;
        if (openMetrics && path.equals("/q/metrics")) return true;
        return "GET".equals(method) && (path.equals("/") || path.equals("/index.html") || path.startsWith("/webjars/"));
    }

    void register(@Observes Filters filters, ApiKeyConfig config) {
        List<byte[]> keys = config.apiKeys().orElse(List.of()).stream()
                .map(String::strip).filter(k -> !k.isEmpty()).map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
        if (keys.isEmpty()) return;
        filters.register(rc -> {
            if (open(rc.normalizedPath(), rc.request().method().name(), config.openMetrics())) {
                rc.next();
                return;
            }
            String auth = rc.request().getHeader("Authorization");
            if (auth != null && auth.startsWith("Bearer ") && matches(keys, auth.substring(7).strip())) {
                rc.next();
                return;
            }
            String body = "{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,\"detail\":\""
                    + (auth == null ? "an API key is required: Authorization: Bearer <key>" : "the API key is not valid") + "\"}";
            rc.response().setStatusCode(401).putHeader("Content-Type", Problem.MEDIA_TYPE)
                    .putHeader("WWW-Authenticate", "Bearer").end(body);
        }, 100);
    }

    /** Constant-time comparison against every key, so timing does not reveal a key's prefix. */
    private static boolean matches(List<byte[]> keys, String given) {
        byte[] g = given.getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] k : keys) ok |= MessageDigest.isEqual(k, g);
        return ok;
    }
}
