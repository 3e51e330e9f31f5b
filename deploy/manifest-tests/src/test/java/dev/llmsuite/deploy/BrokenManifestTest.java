package dev.llmsuite.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checks catch real mistakes: a deliberately broken overlay of the local one fails each of them. */
class BrokenManifestTest {

    @Test
    void aBrokenOverlayFailsWithEveryMistakeNamed() {
        Path broken = Path.of("src/test/resources/broken-overlay").toAbsolutePath();
        List<Map<String, Object>> objects = Kustomize.build(broken);
        List<String> problems = ManifestsTest.problems(objects);
        String all = String.join("\n", problems);
        for (String expected : List.of(
                "Deployment/sampler-service.spec: unknown field 'replica'",     // a typo the schema does not know
                "KafkaTopic/corpus-tokens: Cannot deserialize value of type `java.lang.Integer` from String \"one\"", // a wrong type
                "env LLM_SAMPLER_MAX_LENGHT is no configuration key of sampler-service",
                "readinessProbe path /health is not served by sampler-service",
                "uses topic corpus.tokens, which has no KafkaTopic",
                "volume claim llm-checkpoint does not exist")) {
            assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), "expected '" + expected + "' among:\n" + all);
        }
    }
}
