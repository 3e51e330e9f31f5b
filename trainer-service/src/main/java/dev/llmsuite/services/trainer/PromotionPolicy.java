package dev.llmsuite.services.trainer;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.llmsuite.records.ModelEvaluation;
import dev.llmsuite.records.ModelPromotion;
import java.util.Locale;

/**
 * Whether an evaluated checkpoint should be served under its model's name instead of the one promoted now. Lower
 * validation perplexity is better; a checkpoint is promoted when it is at least {@code minImprovementPercent} lower
 * than the promoted one's, or when nothing is promoted yet. Perplexities are comparable because every checkpoint of a
 * job is scored on the job's held-out batches (docs/api.md, "Evaluation and promotion").
 */
record PromotionPolicy(Mode mode, double minImprovementPercent) {

    /** auto: this policy decides; manual: only a person does (POST /v1/models/{model}/promotions). */
    enum Mode {
        AUTO, MANUAL;

        @JsonValue
        String text() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        static Mode of(String text) {
            return valueOf(text.toUpperCase(Locale.ROOT));
        }
    }

    /** The decision and its reason in words (it goes into the promotion record, or the log when not promoted). */
    record Decision(boolean promote, String reason) {}

    Decision decide(ModelEvaluation candidate, ModelPromotion current) {
        Double perplexity = candidate.perplexity();
        if (mode == Mode.MANUAL) return new Decision(false, "the model's policy is manual");
        if (current != null && current.step() == candidate.step()) return new Decision(false, "step " + candidate.step() + " is promoted already");
        if (perplexity == null || !Double.isFinite(perplexity)) {
            return new Decision(false, "step " + candidate.step() + " has no finite " + ModelEvaluation.PERPLEXITY + " to compare");
        }
        if (current == null) {
            return new Decision(true, "first evaluated checkpoint (" + ModelEvaluation.PERPLEXITY + " " + format(perplexity) + ")");
        }
        Double promoted = current.metrics() == null ? null : current.metrics().get(ModelEvaluation.PERPLEXITY);
        if (promoted == null || !Double.isFinite(promoted)) {
            return new Decision(true, "the promoted step " + current.step() + " has no " + ModelEvaluation.PERPLEXITY + "; step "
                    + candidate.step() + " has " + format(perplexity));
        }
        double improvement = (promoted - perplexity) / promoted * 100;
        String comparison = ModelEvaluation.PERPLEXITY + " " + format(perplexity) + " vs step " + current.step() + "'s " + format(promoted)
                + ": " + String.format(Locale.ROOT, "%+.2f%%", -improvement) + " (policy: promote at >= "
                + String.format(Locale.ROOT, "%.2f%%", minImprovementPercent) + " lower)";
        boolean better = perplexity < promoted && improvement >= minImprovementPercent;
        return new Decision(better, comparison);
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
