package dev.llmsuite.services.trainer;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.TreeSet;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the consumer group has given this replica its share of the batch partitions (possibly none) and its
 * jobs are resumed: before that, the jobs API would not know the jobs this replica is about to own.
 */
@Readiness
@ApplicationScoped
public class JobOwnershipReadiness implements HealthCheck {
    private final TrainingJobs jobs;

    JobOwnershipReadiness(TrainingJobs jobs) {
        this.jobs = jobs;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("trainer job ownership").status(jobs.joined())
                .withData("partitions", new TreeSet<>(jobs.owned()).toString())
                .withData("jobs", jobs.values().size())
                .build();
    }
}
