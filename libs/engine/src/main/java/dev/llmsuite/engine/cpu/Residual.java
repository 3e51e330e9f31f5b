package dev.llmsuite.engine.cpu;

/** out = a + b; backward adds dout into both. */
public final class Residual {
    private static final int CHUNK = 8192;

    private Residual() {}

    public static void forward(WorkerPool pool, float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            for (int i = task * CHUNK; i < Math.min(n, task * CHUNK + CHUNK); i++) out[outOff + i] = a[aOff + i] + b[bOff + i];
        });
    }

    public static void backward(WorkerPool pool, float[] da, int daOff, float[] db, int dbOff, float[] dout, int doutOff, int n) {
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            for (int i = task * CHUNK; i < Math.min(n, task * CHUNK + CHUNK); i++) {
                da[daOff + i] += dout[doutOff + i];
                db[dbOff + i] += dout[doutOff + i];
            }
        });
    }
}
