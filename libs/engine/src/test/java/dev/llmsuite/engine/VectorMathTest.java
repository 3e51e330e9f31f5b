package dev.llmsuite.engine;

import dev.llmsuite.engine.cpu.VectorMath;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's own exp, tanh and lane sum: accurate, the vector and scalar forms equal bit for bit. */
class VectorMathTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Test
    void expIsWithinTwoUlpAndTheVectorAndScalarFormsAgree() {
        Random r = new Random(1);
        float[] x = new float[S.length() * 4096];
        for (int i = 0; i < x.length; i++) x[i] = -87.3f + r.nextFloat() * (88.3f + 87.3f);
        x[0] = 0f;
        x[1] = -1e-8f;
        x[2] = 88.3f;
        x[3] = -87.3f;
        float[] v = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) VectorMath.exp(FloatVector.fromArray(S, x, i)).intoArray(v, i);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            float s = VectorMath.exp(x[i]);
            assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(v[i]), "lane and scalar differ at x = " + x[i]);
            float exact = (float) Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(s - exact) / Math.ulp(exact));
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
        assertEquals(1f, VectorMath.exp(0f));
        assertTrue(VectorMath.exp(-1000f) > 0 && VectorMath.exp(-1000f) < 1e-37f, "clamped below: tiny, not 0 or NaN");
        assertTrue(Float.isFinite(VectorMath.exp(1000f)), "clamped above: finite");
    }

    @Test
    void tanhIsWithinTwoTenMillionthsAndSaturates() {
        Random r = new Random(2);
        float[] u = new float[S.length() * 4096];
        for (int i = 0; i < u.length; i++) u[i] = (float) (r.nextGaussian() * 4);
        float[] v = new float[u.length];
        for (int i = 0; i < u.length; i += S.length()) VectorMath.tanh(FloatVector.fromArray(S, u, i)).intoArray(v, i);
        double worst = 0;
        for (int i = 0; i < u.length; i++) {
            assertEquals(Float.floatToRawIntBits(VectorMath.tanh(u[i])), Float.floatToRawIntBits(v[i]), "u = " + u[i]);
            worst = Math.max(worst, Math.abs(v[i] - Math.tanh(u[i])));
        }
        assertTrue(worst <= 2e-7, "worst absolute error " + worst);
        assertEquals(1f, VectorMath.tanh(100f));
        assertEquals(-1f, VectorMath.tanh(-100f));
        assertEquals(0f, VectorMath.tanh(0f));
    }

    @Test
    void theLaneSumIsPairwiseInAFixedOrder() {
        float[] a = new float[S.length()];
        for (int i = 0; i < a.length; i++) a[i] = 1f + i * 1e-7f * (i % 3 == 0 ? -1 : 1);
        float expected = sumPairwise(a, 0, a.length);
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(VectorMath.sum(FloatVector.fromArray(S, a, 0))));
    }

    /** Lane i + lane i + L/2, then + L/4, ...: the tree VectorMath.sum is documented to use. */
    private static float sumPairwise(float[] a, int from, int n) {
        float[] v = Arrays.copyOfRange(a, from, from + n);
        for (int w = n / 2; w >= 1; w /= 2) {
            float[] next = new float[n];
            for (int i = 0; i < n; i++) next[i] = v[i] + v[(i + w) % n];
            v = next;
        }
        return v[0];
    }
}
