package dev.llmsuite.services.trainer;

import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jobs that each fit llm.trainer.max-job-bytes but together would exhaust the heap: the replica holds models up to
 * llm.trainer.max-resident-bytes and refuses the next job with the reason, until a job lets its model go.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(ResidentBudgetTest.Budget.class)
class ResidentBudgetTest {
    static final long BUDGET = 120_000_000L;

    /** Its own application, with a small budget for every job's model together. */
    public static class Budget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.trainer.max-resident-bytes", Long.toString(BUDGET));
        }
    }

    @Inject
    TrainerConfig config;

    private static int post(String id) {
        return given().contentType("application/json").body(Map.of("id", id, "dataset", id + "-data", "checkpointEvery", 100))
                .post("/v1/jobs").statusCode();
    }

    @Test
    void jobsThatTogetherWouldExhaustTheHeapAreRefusedUntilOneLetsItsModelGo() {
        long each = JobSpec.forDataset("probe").resolve(config).trainingBytes(config.model().vocabSize());
        int fit = (int) (BUDGET / each);
        assertTrue(fit >= 1 && fit <= 8, "the test model takes " + each + " bytes");
        for (int i = 0; i < fit; i++) given().contentType("application/json")
                .body(Map.of("id", "held-" + i, "dataset", "held-" + i + "-data", "checkpointEvery", 100))
                .post("/v1/jobs").then().statusCode(201);
        given().contentType("application/json").body(Map.of("id", "over", "dataset", "over-data", "checkpointEvery", 100))
                .post("/v1/jobs").then().statusCode(503).contentType("application/problem+json")
                .body("detail", containsString("llm.trainer.max-resident-bytes"));
        given().get("/q/health/live").then().statusCode(200);

        given().delete("/v1/jobs/held-0").then().statusCode(200); // stopped with a final checkpoint: its model goes
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> post("over") == 201);
    }
}
