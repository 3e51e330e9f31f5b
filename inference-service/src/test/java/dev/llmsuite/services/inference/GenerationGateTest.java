package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.service.ProblemException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GenerationGateTest {

    static InferenceConfig config(int concurrent, int queue) {
        return config(concurrent, queue, Long.MAX_VALUE);
    }

    static InferenceConfig config(int concurrent, int queue, long kvBytes) {
        return new InferenceConfig() {
            public Optional<Long> maxKvCacheBytesSetting() { return Optional.of(kvBytes); }
            public int maxConcurrent() { return concurrent; }
            public int maxQueue() { return queue; }
            public int maxTokensCap() { return 1024; }
            public int maxBatch() { return 8; }
            public int maxChoices() { return 4; }
            public int maxPromptChars() { return 1000; }
            public Optional<Path> modelDir() { return Optional.empty(); }
            public Optional<String> modelName() { return Optional.empty(); }
            public Path adapterDir() { return Path.of("work/checkpoints/adapters"); }
            public Path checkpointDir() { return Path.of("work/checkpoints"); }
            public int threads() { return 1; }
            public int maxPinnedSteps() { return 2; }
            public int prefixCacheMb() { return 0; }
            public int kvCachePoolMb() { return 0; }
            public Weights weights() { return Weights.FP32; }
            public Map<String, String> drafts() { return Map.of(); }
            public int lookahead() { return 4; }
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

    @Test
    void kvCacheMemoryIsAdmittedByBytesNotOnlyByCount() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        GenerationGate gate = new GenerationGate(config(32, 32, 1000), meters); // room for 64 sequences, 1,000 bytes of cache
        GenerationGate.Ticket a = gate.admit(1, 600);
        ProblemException full = assertThrows(ProblemException.class, () -> gate.admit(1, 600));
        assertEquals(429, full.status(), "a second long sequence waits for memory, not for a slot");
        assertEquals(413, assertThrows(ProblemException.class, () -> gate.admit(2, 1001)).status(), "it could never fit");
        GenerationGate.Ticket b = gate.admit(3, 400);
        assertEquals(1000.0, meters.get("llm.inference.kv.cache.reserved.bytes").gauge().value());
        a.close();
        b.close();
        assertEquals(0.0, meters.get("llm.inference.kv.cache.reserved.bytes").gauge().value(), "memory comes back");
        gate.admit(1, 1000).close();
    }
}
