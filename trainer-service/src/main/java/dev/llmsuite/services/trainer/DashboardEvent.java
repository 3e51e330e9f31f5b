package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.llmsuite.records.ModelEvaluation;
import dev.llmsuite.records.ModelPromotion;
import java.util.Locale;

/**
 * One event on the dashboard's stream ({@code GET /v1/dashboard/events}): exactly one of its payloads is set, the one
 * its {@code type} names. Each comes from a topic the trainer reads: training.metrics (step), model.checkpoints
 * (checkpoint), model.evaluations (evaluation), model.promotions (promotion).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DashboardEvent(Type type, StepMetrics step, ModelHistory.Checkpoint checkpoint, ModelEvaluation evaluation,
                             ModelPromotion promotion) {

    public enum Type {
        STEP, CHECKPOINT, EVALUATION, PROMOTION;

        @JsonValue
        String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static DashboardEvent of(StepMetrics step) {
        return new DashboardEvent(Type.STEP, step, null, null, null);
    }

    static DashboardEvent of(ModelHistory.Checkpoint checkpoint) {
        return new DashboardEvent(Type.CHECKPOINT, null, checkpoint, null, null);
    }

    static DashboardEvent of(ModelEvaluation evaluation) {
        return new DashboardEvent(Type.EVALUATION, null, null, evaluation, null);
    }

    static DashboardEvent of(ModelPromotion promotion) {
        return new DashboardEvent(Type.PROMOTION, null, null, null, promotion);
    }
}
