package dev.llmsuite.service;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.config.ConfigMapping;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * When a launcher (./llm) starts this service, it passes its own pid; the service stops by itself once
 * that process is gone, so even a launcher killed with SIGKILL leaves no stray JVM behind.
 */
public class ParentWatch {
    private static final Logger LOG = Logger.getLogger(ParentWatch.class);

    @ConfigMapping(prefix = "llm.process")
    public interface ProcessConfig {
        /** The launcher's pid; unset when the service runs on its own (Kubernetes, by hand). */
        Optional<Long> parentPid();
    }

    void onStart(@Observes StartupEvent event, ProcessConfig config) {
        config.parentPid().flatMap(ProcessHandle::of).ifPresent(parent -> {
            Thread watch = Thread.ofPlatform().daemon().name("parent-watch").start(() -> {
                parent.onExit().join();
                LOG.warnf("launcher (pid %d) is gone; stopping", parent.pid());
                Quarkus.asyncExit(0);
            });
            LOG.debugf("watching launcher pid %d (%s)", parent.pid(), watch.getName());
        });
        if (config.parentPid().isPresent() && config.parentPid().flatMap(ProcessHandle::of).isEmpty()) {
            LOG.warn("launcher already gone at startup; stopping");
            Quarkus.asyncExit(0);
        }
    }
}
