package dev.llmsuite.engine.cpu;

/** SwiGLU's gate (Llama, Qwen): out = silu(gate) · up, silu(g) = g · sigmoid(g), elementwise over n values. */
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
}
