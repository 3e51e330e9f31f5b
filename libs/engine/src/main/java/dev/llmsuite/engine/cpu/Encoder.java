package dev.llmsuite.engine.cpu;

/**
 * Token + position embedding. out[b, t, :] = wte[ids[b, t], :] + wpe[t, :].
 * Backward adds dout into the rows of wte and wpe it came from; tasks own channel ranges, so repeated
 * tokens never race and the sums keep their order.
 */
public final class Encoder {
    private Encoder() {}

    public static void forward(WorkerPool pool, float[] out, int outOff, int[] ids, float[] wte, int wteOff,
                               float[] wpe, int wpeOff, int b, int t, int c) {
        pool.run(b * t, bt -> {
            int pos = bt % t;
            int o = outOff + bt * c, e = wteOff + ids[bt] * c, p = wpeOff + pos * c;
            for (int i = 0; i < c; i++) out[o + i] = wte[e + i] + wpe[p + i];
        });
    }

    public static void backward(WorkerPool pool, float[] dwte, int dwteOff, float[] dwpe, int dwpeOff,
                                float[] dout, int doutOff, int[] ids, int b, int t, int c) {
        int chunk = 64;
        pool.run((c + chunk - 1) / chunk, task -> {
            int c0 = task * chunk, c1 = Math.min(c, c0 + chunk);
            for (int bt = 0; bt < b * t; bt++) {
                int d = doutOff + bt * c, e = dwteOff + ids[bt] * c, p = dwpeOff + (bt % t) * c;
                for (int i = c0; i < c1; i++) {
                    dwte[e + i] += dout[d + i];
                    dwpe[p + i] += dout[d + i];
                }
            }
        });
    }
}
