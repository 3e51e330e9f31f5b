package dev.llmsuite.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** GELU, tanh form (GPT-2's): 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), vectorized. */
public final class Gelu {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float K = (float) Math.sqrt(2.0 / Math.PI);
    private static final float A = 0.044715f;
    private static final int CHUNK = 4096;

    private Gelu() {}

    public static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, int n) {
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            int i = task * CHUNK, end = Math.min(n, i + CHUNK);
            for (; i + S.length() <= end; i += S.length()) {
                FloatVector x = FloatVector.fromArray(S, inp, inpOff + i);
                FloatVector u = x.mul(x).mul(x).mul(A).add(x).mul(K);
                x.mul(0.5f).mul(VectorMath.tanh(u).add(1f)).intoArray(out, outOff + i);
            }
            for (; i < end; i++) {
                float x = inp[inpOff + i];
                out[outOff + i] = x * 0.5f * (VectorMath.tanh((x * x * x * A + x) * K) + 1f);
            }
        });
    }

    /** dinp += dout · gelu'(x), gelu'(x) = ½(1 + tanh u) + ½x(1 − tanh² u)·K(1 + 3A x²). */
    public static void backward(WorkerPool pool, float[] dinp, int dinpOff, float[] inp, int inpOff, float[] dout,
                                int doutOff, int n) {
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            int i = task * CHUNK, end = Math.min(n, i + CHUNK);
            for (; i + S.length() <= end; i += S.length()) {
                FloatVector x = FloatVector.fromArray(S, inp, inpOff + i);
                FloatVector x2 = x.mul(x);
                FloatVector th = VectorMath.tanh(x2.mul(x).mul(A).add(x).mul(K));
                FloatVector sech2 = th.mul(th).neg().add(1f);
                FloatVector grad = th.add(1f).mul(0.5f).add(x.mul(0.5f).mul(sech2).mul(x2.mul(3f * A).add(1f).mul(K)));
                FloatVector.fromArray(S, dinp, dinpOff + i)
                        .add(grad.mul(FloatVector.fromArray(S, dout, doutOff + i))).intoArray(dinp, dinpOff + i);
            }
            for (; i < end; i++) {
                float x = inp[inpOff + i];
                float x2 = x * x;
                float th = VectorMath.tanh((x2 * x * A + x) * K);
                float grad = (th + 1f) * 0.5f + x * 0.5f * (1f - th * th) * ((x2 * (3f * A) + 1f) * K); // as the vector lanes
                dinp[dinpOff + i] += grad * dout[doutOff + i];
            }
        });
    }
}
