package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With llm.auth.open-metrics=false, /q/metrics needs a key like the API (and the scrape must send one). */
@QuarkusTest
@TestProfile(ApiKeyClosedMetricsTest.ClosedMetrics.class)
class ApiKeyClosedMetricsTest {

    public static class ClosedMetrics extends ApiKeyTest.KeysProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> m = new HashMap<>(super.getConfigOverrides());
            m.put("llm.auth.open-metrics", "false");
            return m;
        }
    }

    @Test
    void metricsNeedAKey() {
        given().get("/q/metrics").then().statusCode(401);
        given().header("Authorization", "Bearer key-one").get("/q/metrics").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
    }
}
