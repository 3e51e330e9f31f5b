package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One AdamW step over a range of parameters, exactly as PyTorch's torch.optim.AdamW orders it:
 * p ← p · (1 − lr · wd); m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
 * p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
 */
public final class AdamWKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private AdamWKernel() {}

    public static void step(float[] p, float[] g, float[] m, float[] v, int off, int n, float lr, float beta1,
                            float beta2, float eps, float weightDecay, int t) {
        float bc1 = (float) (1.0 - Math.pow(beta1, t));
        float bc2Sqrt = (float) Math.sqrt(1.0 - Math.pow(beta2, t));
        float stepSize = lr / bc1;
        float decay = 1f - lr * weightDecay;
        int i = off, end = off + n;
        for (; i + S.length() <= end; i += S.length()) {
            FloatVector grad = FloatVector.fromArray(S, g, i);
            FloatVector mi = FloatVector.fromArray(S, m, i).mul(beta1).add(grad.mul(1f - beta1));
            FloatVector vi = FloatVector.fromArray(S, v, i).mul(beta2).add(grad.mul(grad).mul(1f - beta2));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector denom = vi.sqrt().div(bc2Sqrt).add(eps);
            FloatVector.fromArray(S, p, i).mul(decay).sub(mi.mul(stepSize).div(denom)).intoArray(p, i);
        }
        for (; i < end; i++) {
            float grad = g[i];
            float mi = beta1 * m[i] + (1f - beta1) * grad;
            float vi = beta2 * v[i] + (1f - beta2) * grad * grad;
            m[i] = mi;
            v[i] = vi;
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            p[i] = p[i] * decay - stepSize * mi / denom;
        }
    }
}
