package dev.llmsuite.engine.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.model.GptModel;
import java.util.List;

/** The fixtures' check: a model's logits for the fixture's ids against PyTorch's, to 1e-4 of the largest logit. */
public final class ReferenceLogits {
    private ReferenceLogits() {}

    /** ids: the fixture's "ids"; rows: PyTorch's logits, one list per position (as parsed from its JSON). */
    public static void assertMatch(GptModel model, List<?> ids, List<?> rows, String what) {
        int[] tokens = ids.stream().mapToInt(o -> ((Long) o).intValue()).toArray();
        model.forward(tokens, null, 1, tokens.length, false, 0);
        assertMatch(model.logits(), rows, tokens.length, model.config().vocabSize(), what);
    }

    /** logits [positions, v] against rows, to 1e-4 of the largest. */
    public static void assertMatch(float[] logits, List<?> rows, int positions, int v, String what) {
        double scale = 0, worst = 0;
        for (int t = 0; t < positions; t++) {
            for (int j = 0; j < v; j++) {
                double e = ((Number) ((List<?>) rows.get(t)).get(j)).doubleValue();
                scale = Math.max(scale, Math.abs(e));
                worst = Math.max(worst, Math.abs(e - logits[t * v + j]));
            }
        }
        assertTrue(worst <= 1e-4 * scale, what + ": max |difference| " + worst + " against max |logit| " + scale);
    }
}
