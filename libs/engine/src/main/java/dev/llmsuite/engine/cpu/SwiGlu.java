package dev.llmsuite.engine.cpu;

/**
 * SwiGLU's gate (Llama, Qwen): out = silu(gate) · up, silu(g) = g · σ(g), elementwise over n values.
 * Backward: dgate += dout · up · σ(g) · (1 + g · (1 − σ(g))),  dup += dout · silu(g).
 */
public final class SwiGlu {
    private static final int CHUNK = 1 << 14;

    private SwiGlu() {}

    public static void forward(WorkerPool pool, float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff, int n) {
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            for (int i = task * CHUNK; i < Math.min(n, task * CHUNK + CHUNK); i++) {
                float g = gate[gateOff + i];
                out[outOff + i] = (float) (g / (1.0 + Math.exp(-g))) * up[upOff + i];
            }
        });
    }

    /** dgate, dup accumulate (+=). */
    public static void backward(WorkerPool pool, float[] dgate, int dgateOff, float[] dup, int dupOff, float[] dout, int doutOff,
                                float[] gate, int gateOff, float[] up, int upOff, int n) {
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            for (int i = task * CHUNK; i < Math.min(n, task * CHUNK + CHUNK); i++) {
                double g = gate[gateOff + i], sigma = 1.0 / (1.0 + Math.exp(-g));
                float dy = dout[doutOff + i];
                dgate[dgateOff + i] += (float) (dy * up[upOff + i] * sigma * (1 + g * (1 - sigma)));
                dup[dupOff + i] += (float) (dy * g * sigma);
            }
        });
    }
}
