package dev.llmsuite.engine.tornado;

import dev.llmsuite.engine.backend.ComputeBackend;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** The backend under test, built once per JVM; tests skip, saying why, when TornadoVM or a device is missing. */
final class TornadoDevice {
    private static ComputeBackend backend;
    private static String unavailable;

    private TornadoDevice() {}

    static synchronized ComputeBackend backend() {
        if (backend == null && unavailable == null) {
            try {
                backend = new TornadoBackendProvider().create(Integer.getInteger("llm.compute.device", 0), false,
                        Map.of("tornado-memory", System.getProperty("llm.compute.tornado-memory", "512m")));
                System.out.println("TornadoVM backend under test: " + backend.name());
            } catch (RuntimeException | LinkageError e) {
                unavailable = e.toString();
            }
        }
        Assumptions.assumeTrue(backend != null, () -> "skipped: no TornadoVM device answers (" + unavailable + ")");
        return backend;
    }
}
