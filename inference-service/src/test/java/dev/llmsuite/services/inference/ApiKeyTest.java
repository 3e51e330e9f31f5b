package dev.llmsuite.services.inference;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With llm.auth.api-keys set, everything but health, metrics and the try-it page needs a valid bearer key. */
@QuarkusTest
@TestProfile(ApiKeyTest.KeysProfile.class)
class ApiKeyTest {

    public static class KeysProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.auth.api-keys", "key-one,key-two", "mp.messaging.incoming.checkpoints.enabled", "false",
                    "mp.messaging.incoming.promotions.enabled", "false",
                    "llm.kafka.check-on-start", "false");
        }
    }

    @Test
    void keysAreRequiredEverywhereButHealth() {
        given().get("/v1/models").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer").body("detail", containsString("API key is required"));
        given().header("Authorization", "Bearer nope").get("/v1/models").then().statusCode(401)
                .body("detail", containsString("not valid"));
        given().header("Authorization", "Bearer key-two").get("/v1/models").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
        // the try-it page loads, and asks for the key itself; its API calls need it
        given().get("/").then().statusCode(200).body(containsString("id=\"api-key\""));
        given().post("/").then().statusCode(401);
        given().get("/q/openapi").then().statusCode(401);
        // WebJars (the pages' libraries) are open, but no path through them reaches the API
        given().get("/webjars/none.js").then().statusCode(404);
        given().urlEncodingEnabled(false).get("/webjars/../v1/models").then().statusCode(401);
        given().urlEncodingEnabled(false).get("/webjars/%2e%2e/v1/models").then().statusCode(401);
        // Prometheus scrapes as deployed (llm.auth.open-metrics, default true)
        given().get("/q/metrics").then().statusCode(200);
    }
}
