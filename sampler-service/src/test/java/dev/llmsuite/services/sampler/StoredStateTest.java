package dev.llmsuite.services.sampler;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llmsuite.records.TokenChunk;
import dev.llmsuite.records.Topics;
import dev.llmsuite.testing.KafkaBrokerResource;
import dev.llmsuite.testing.TestKafka;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * sampler.state as anyone who can write to it might leave it before the sampler starts: a record that is no
 * state, a spec over the memory budget, a state filed under another dataset's key. Each fails its own dataset
 * with the reason; the sampler starts, serves, and samples every other dataset.
 */
@QuarkusTest
@WithTestResource(StoredStateTest.SeededBroker.class)
@TestProfile(StoredStateTest.Seeded.class)
class StoredStateTest {

    /** The test broker, with sampler.state written before the application starts. */
    public static class SeededBroker extends KafkaBrokerResource {
        @Override
        public Map<String, String> start() {
            Map<String, String> config = super.start();
            String kafka = bootstrapServers();
            TestKafka.send(kafka, Topics.SAMPLER_STATE, "garbage", "{not a state".getBytes(StandardCharsets.UTF_8));
            TestKafka.send(kafka, Topics.SAMPLER_STATE, "greedy", ("{\"dataset\": \"greedy\", \"spec\": {\"maxLength\": 65536, \"stride\": 1,"
                    + " \"batchSize\": 8, \"trainFraction\": 0.9, \"seed\": 1, \"epochs\": 1, \"shuffleBuffer\": 1000000, \"dropLast\": true,"
                    + " \"dedup\": true, \"pack\": false}, \"ranges\": {\"0\": [0, 5]}, \"epoch\": 0, \"done\": false,"
                    + " \"trainBatchesSent\": 0, \"validationBatchesSent\": 0}").getBytes(StandardCharsets.UTF_8));
            TestKafka.send(kafka, Topics.SAMPLER_STATE, "elsewhere", ("{\"dataset\": \"other\", \"spec\": {\"maxLength\": 4, \"stride\": 4,"
                    + " \"batchSize\": 2, \"trainFraction\": 0.9, \"seed\": 1, \"epochs\": 1, \"shuffleBuffer\": 1, \"dropLast\": true,"
                    + " \"dedup\": true, \"pack\": false}, \"ranges\": {}, \"epoch\": 0, \"done\": false,"
                    + " \"trainBatchesSent\": 0, \"validationBatchesSent\": 0}").getBytes(StandardCharsets.UTF_8));
            return config;
        }
    }

    /** Its own application (another broker); the test profile's defaults otherwise. */
    public static class Seeded implements QuarkusTestProfile {}

    @Test
    void aBadStoredStateFailsItsDatasetNotTheSampler() {
        given().get("/v1/datasets/garbage/sampling").then().statusCode(200)
                .body("state", equalTo("failed")).body("reason", containsString("unreadable"));
        given().get("/v1/datasets/greedy/sampling").then().statusCode(200)
                .body("state", equalTo("failed")).body("reason", containsString("llm.sampler.max-dataset-bytes"));
        given().get("/v1/datasets/elsewhere/sampling").then().statusCode(200)
                .body("state", equalTo("failed")).body("reason", containsString("under key elsewhere"));
        given().get("/q/health/live").then().statusCode(200);

        String kafka = KafkaBrokerResource.bootstrapServers();
        TestKafka.send(kafka, Topics.TOKENS, "fine/d", new TokenChunk("fine", "d", 0, true, "h", new int[25]).encode());
        assertEquals(1, TestKafka.await(kafka, Topics.TRAIN_BATCHES, 1, Duration.ofSeconds(30), r -> "fine".equals(r.key())).size(),
                "another dataset is sampled");
        TestKafka.send(kafka, Topics.TOKENS, "greedy/d", new TokenChunk("greedy", "d", 0, true, "h", new int[25]).encode());
        var dead = TestKafka.await(kafka, Topics.TOKENS_DLQ, 1, Duration.ofSeconds(30), r -> "greedy/d".equals(r.key()));
        assertEquals(1, dead.size(), "a failed dataset's chunks are dead-lettered with the reason");
    }
}
