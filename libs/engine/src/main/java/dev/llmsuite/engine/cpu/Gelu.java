package dev.llmsuite.engine.cpu;

/** GELU, tanh form (GPT-2's): 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))). */
public final class Gelu {
    private static final float K = (float) Math.sqrt(2.0 / Math.PI);
    private static final int CHUNK = 4096;

    private Gelu() {}

    public static void forward(WorkerPool pool, float[] out, int outOff, float[] inp, int inpOff, int n) {
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            for (int i = task * CHUNK; i < Math.min(n, task * CHUNK + CHUNK); i++) {
                float x = inp[inpOff + i];
                out[outOff + i] = 0.5f * x * (1f + (float) Math.tanh(K * (x + 0.044715f * x * x * x)));
            }
        });
    }

    /** dinp += dout · gelu'(x). */
    public static void backward(WorkerPool pool, float[] dinp, int dinpOff, float[] inp, int inpOff, float[] dout,
                                int doutOff, int n) {
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            for (int i = task * CHUNK; i < Math.min(n, task * CHUNK + CHUNK); i++) {
                float x = inp[inpOff + i];
                float u = K * (x + 0.044715f * x * x * x);
                float th = (float) Math.tanh(u);
                float sech2 = 1f - th * th;
                float grad = 0.5f * (1f + th) + 0.5f * x * sech2 * K * (1f + 3f * 0.044715f * x * x);
                dinp[dinpOff + i] += grad * dout[doutOff + i];
            }
        });
    }
}
