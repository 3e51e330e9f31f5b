package dev.llmsuite.services.inference;

import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.testing.KafkaBrokerResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** llm.inference.weights=fp32_panels: the model card says so, and greedy answers are the engine's panel decode, token for token. */
@QuarkusTest
@TestProfile(PanelServingTest.Panels.class)
@WithTestResource(KafkaBrokerResource.class)
class PanelServingTest {
    public static class Panels implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("llm.inference.weights", "fp32_panels", "llm.inference.checkpoint-dir", "target/test-checkpoints-panels-" + UUID.randomUUID());
        }
    }

    @Test
    void decodeStepsReadPanelWeights() throws Exception {
        Bf16ServingTest.greedyAnswersAreTheEnginesDecode("panels", ServingWeights.FP32_PANELS);
    }
}
