package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.service.ProblemException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GenerationGateTest {

    static InferenceConfig config(int concurrent, int queue) {
        return new InferenceConfig() {
            public int maxConcurrent() { return concurrent; }
            public int maxQueue() { return queue; }
            public int maxTokensCap() { return 1024; }
            public int maxBatch() { return 8; }
            public int maxChoices() { return 4; }
            public int maxPromptChars() { return 1000; }
            public Optional<Path> modelDir() { return Optional.empty(); }
            public Optional<String> modelName() { return Optional.empty(); }
            public java.nio.file.Path adapterDir() { return java.nio.file.Path.of("work/checkpoints/adapters"); }
            public int threads() { return 1; }
            public Weights weights() { return Weights.FP32; }
        };
    }

    @Test
    void beyondCapacityIs429WithRetryAfterAndClosingFreesASlot() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        GenerationGate gate = new GenerationGate(config(1, 2), meters);
        GenerationGate.Ticket a = gate.admit(), b = gate.admit(), c = gate.admit();
        a.start();
        assertEquals(2.0, meters.get("llm.inference.queue.depth").gauge().value(), "two waiting");
        assertEquals(1.0, meters.get("llm.inference.active.sequences").gauge().value());
        ProblemException e = assertThrows(ProblemException.class, gate::admit);
        assertEquals(429, e.status());
        assertEquals(1, e.retryAfterSeconds());
        a.token();
        a.token();
        a.close();
        a.close(); // closing twice frees one slot only
        GenerationGate.Ticket d = gate.admit();
        assertThrows(ProblemException.class, gate::admit);
        assertEquals(1, meters.get("llm.inference.time.to.first.token").timer().count());
        assertEquals(1, meters.get("llm.inference.inter.token.latency").timer().count());
        assertEquals(2.0, meters.get("llm.inference.requests.refused").counter().count(), "both refusals counted");
        b.close();
        c.close();
        d.close();
        assertEquals(0.0, meters.get("llm.inference.queue.depth").gauge().value());
    }
}
