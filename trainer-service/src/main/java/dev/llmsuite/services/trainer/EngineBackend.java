package dev.llmsuite.services.trainer;

import dev.llmsuite.engine.cpu.CpuBackend;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

/** The service's one compute backend (and its worker threads), shared by every training run. */
@ApplicationScoped
public class EngineBackend {
    private final CpuBackend backend;

    EngineBackend(TrainerConfig config) {
        this.backend = config.threads() > 0 ? new CpuBackend(config.threads()) : CpuBackend.allCores();
    }

    CpuBackend get() { return backend; }

    @PreDestroy
    void close() { backend.close(); }
}
