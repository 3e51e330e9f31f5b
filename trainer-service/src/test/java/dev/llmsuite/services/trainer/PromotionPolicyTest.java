package dev.llmsuite.services.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.records.ModelEvaluation;
import dev.llmsuite.records.ModelPromotion;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromotionPolicyTest {
    private static ModelEvaluation evaluated(long step, Double perplexity) {
        return new ModelEvaluation("m", "m", step, "m/step-" + step, "m/validation",
                perplexity == null ? Map.of() : Map.of(ModelEvaluation.PERPLEXITY, perplexity), null, 0, 0);
    }

    private static ModelPromotion promoted(long step, Double perplexity) {
        return new ModelPromotion("m", step, "m/step-" + step, Map.of(), ModelPromotion.By.POLICY, "",
                perplexity == null ? Map.of() : Map.of(ModelEvaluation.PERPLEXITY, perplexity), 0);
    }

    @Test
    void theFirstEvaluatedCheckpointIsPromoted() {
        var d = new PromotionPolicy(PromotionPolicy.Mode.AUTO, 5).decide(evaluated(10, 100.0), null);
        assertTrue(d.promote());
        assertTrue(d.reason().startsWith("first evaluated checkpoint"), d.reason());
    }

    @Test
    void promotesOnlyAtTheRequiredImprovement() {
        PromotionPolicy fivePercent = new PromotionPolicy(PromotionPolicy.Mode.AUTO, 5);
        assertTrue(fivePercent.decide(evaluated(20, 95.0), promoted(10, 100.0)).promote(), "exactly 5% lower");
        assertFalse(fivePercent.decide(evaluated(20, 95.1), promoted(10, 100.0)).promote(), "4.9% lower");
        assertFalse(fivePercent.decide(evaluated(20, 120.0), promoted(10, 100.0)).promote(), "worse");
        PromotionPolicy anyImprovement = new PromotionPolicy(PromotionPolicy.Mode.AUTO, 0);
        assertTrue(anyImprovement.decide(evaluated(20, 99.99), promoted(10, 100.0)).promote());
        assertFalse(anyImprovement.decide(evaluated(20, 100.0), promoted(10, 100.0)).promote(), "equal is no improvement");
        String reason = anyImprovement.decide(evaluated(20, 120.0), promoted(10, 100.0)).reason();
        assertEquals("val_perplexity 120.0 vs step 10's 100.0: +20.00% (policy: promote at >= 0.00% lower)", reason);
    }

    @Test
    void nothingComparableOrManualIsNotPromoted() {
        PromotionPolicy auto = new PromotionPolicy(PromotionPolicy.Mode.AUTO, 0);
        assertFalse(auto.decide(evaluated(20, null), promoted(10, 100.0)).promote(), "no perplexity");
        assertFalse(auto.decide(evaluated(20, null), null).promote(), "no perplexity, nothing promoted");
        assertFalse(auto.decide(evaluated(20, Double.POSITIVE_INFINITY), null).promote(), "a diverged model");
        assertFalse(auto.decide(evaluated(10, 50.0), promoted(10, 100.0)).promote(), "the promoted step itself");
        assertTrue(auto.decide(evaluated(20, 500.0), promoted(10, null)).promote(), "the promoted one has nothing to compare");
        assertFalse(new PromotionPolicy(PromotionPolicy.Mode.MANUAL, 0).decide(evaluated(20, 1.0), null).promote());
    }
}
