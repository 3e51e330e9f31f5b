package dev.llmsuite.services.trainer;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.ComputeBackends;
import dev.llmsuite.service.ComputeConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/** The service's one compute backend (and its worker threads), shared by every training job. */
@ApplicationScoped
public class EngineBackend {
    private static final Logger LOG = Logger.getLogger(EngineBackend.class);
    private final ComputeBackend backend;

    EngineBackend(TrainerConfig config, ComputeConfig compute) {
        this.backend = ComputeBackends.select(compute.backend(), compute.device(), config.threads(), compute.tornadoSettings(), LOG::info);
    }

    ComputeBackend get() { return backend; }

    @PreDestroy
    void close() { backend.close(); }
}
