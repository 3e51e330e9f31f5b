package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.Attention;
import dev.llmsuite.engine.cpu.CrossEntropy;
import dev.llmsuite.engine.cpu.Dropout;
import dev.llmsuite.engine.cpu.Encoder;
import dev.llmsuite.engine.cpu.Gelu;
import dev.llmsuite.engine.cpu.LayerNorm;
import dev.llmsuite.engine.cpu.Residual;
import dev.llmsuite.engine.cpu.WorkerPool;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Each kernel's backward against central finite differences, in double precision, of a plain double
 * version of its forward. The scalar objective is Σ out · R for a fixed random R (R = the upstream
 * gradient), so the finite differences measure exactly what backward computes. Shapes are odd on
 * purpose (vector tails, partial tiles).
 */
class KernelGradientTest {
    static final WorkerPool POOL = new WorkerPool(2);
    static final Random RANDOM = new Random(17);

    @AfterAll
    static void close() { POOL.close(); }

    static float[] random(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (RANDOM.nextGaussian() * scale);
        return a;
    }

    static double objective(double[] out, float[] r) {
        double s = 0;
        for (int i = 0; i < out.length; i++) s += out[i] * r[i];
        return s;
    }

    /** Compares analytic[i] with d objective(f(x)) / dx[i] for every i, by central differences. */
    static void check(String what, float[] x, float[] analytic, Function<double[], double[]> f, float[] r) {
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) xd[i] = x[i];
        double h = 1e-6, worst = 0;
        for (int i = 0; i < x.length; i++) {
            double keep = xd[i];
            xd[i] = keep + h;
            double up = objective(f.apply(xd), r);
            xd[i] = keep - h;
            double down = objective(f.apply(xd), r);
            xd[i] = keep;
            double fd = (up - down) / (2 * h);
            double err = Math.abs(analytic[i] - fd);
            worst = Math.max(worst, err / (1e-3 + Math.abs(fd)));
            assertTrue(err <= 1e-3 + 1e-3 * Math.abs(fd), what + "[" + i + "]: backward " + analytic[i] + ", finite difference " + fd);
        }
        System.out.printf("%-28s worst relative error %.1e over %d inputs%n", what, worst, x.length);
    }

    @Test
    void layerNorm() {
        int n = 5, c = 37;
        float[] x = random(n * c, 1), w = random(c, 1), b = random(c, 1), r = random(n * c, 1);
        float[] out = new float[n * c], mean = new float[n], rstd = new float[n];
        LayerNorm.forward(POOL, out, 0, mean, 0, rstd, 0, x, 0, w, 0, b, 0, n, c);
        float[] dx = new float[n * c], dw = new float[c], db = new float[c];
        LayerNorm.backward(POOL, dx, 0, dw, 0, db, 0, r, 0, x, 0, w, 0, mean, 0, rstd, 0, n, c);
        Function<double[], double[]> norm = xs -> {
            double[] o = new double[n * c];
            for (int row = 0; row < n; row++) {
                double m = 0, v = 0;
                for (int i = 0; i < c; i++) m += xs[row * c + i];
                m /= c;
                for (int i = 0; i < c; i++) v += (xs[row * c + i] - m) * (xs[row * c + i] - m);
                double s = 1 / Math.sqrt(v / c + 1e-5);
                for (int i = 0; i < c; i++) o[row * c + i] = (xs[row * c + i] - m) * s * w[i] + b[i];
            }
            return o;
        };
        check("layernorm dinp", x, dx, norm, r);
        // weight: the objective is linear in w and b, so d/dw = Σ r · norm exactly
        check("layernorm dweight", w, dw, ws -> {
            double[] o = new double[n * c];
            for (int row = 0; row < n; row++) {
                for (int i = 0; i < c; i++) o[row * c + i] = (out[row * c + i] - b[i]) / w[i] * ws[i];
            }
            return o;
        }, r);
    }

    @Test
    void gelu() {
        int n = 53;
        float[] x = random(n, 2), r = random(n, 1), dx = new float[n];
        Gelu.backward(POOL, dx, 0, x, 0, r, 0, n);
        check("gelu", x, dx, xs -> {
            double[] o = new double[n];
            for (int i = 0; i < n; i++) o[i] = 0.5 * xs[i] * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (xs[i] + 0.044715 * Math.pow(xs[i], 3))));
            return o;
        }, r);
    }

    @Test
    void attentionWithAndWithoutDropout() {
        attention(36, 3, null); // 12-wide heads: the general path
        attention(128, 2, null); // 64-wide heads (every GPT-2 size): the register-resident path
    }

    @Test
    void attentionOverPackedDocuments() {
        // row 0: documents at 0-1 and 2-4; row 1: at 0, 1-2, 3, 4
        int[] starts = {0, 0, 2, 2, 2, 0, 1, 1, 3, 4};
        attention(36, 3, starts);
        attention(128, 2, starts);
    }

    void attention(int c, int nh, int[] starts) {
        for (float p : new float[] {0f, 0.2f}) {
            int b = 2, t = 5, hs = c / nh;
            float[] qkv = random(b * t * 3 * c, 0.7), r = random(b * t * c, 1);
            float[] out = new float[b * t * c], att = new float[b * nh * t * t], dqkv = new float[qkv.length];
            Attention.forward(POOL, out, 0, att, 0, qkv, 0, starts, b, t, c, nh, p, 5, 9);
            Attention.backward(POOL, dqkv, 0, r, 0, qkv, 0, att, 0, b, t, c, nh, p, 5, 9);
            check("attention hs " + hs + " dropout " + p + (starts == null ? "" : " packed"), qkv, dqkv, q -> {
                double[] o = new double[b * t * c];
                for (int bi = 0; bi < b; bi++) for (int h = 0; h < nh; h++) for (int ti = 0; ti < t; ti++) {
                    int from = starts == null ? 0 : starts[bi * t + ti];
                    double[] s = new double[ti + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int t2 = from; t2 <= ti; t2++) {
                        double d = 0;
                        for (int i = 0; i < hs; i++) d += q[(bi * t + ti) * 3 * c + h * hs + i] * q[(bi * t + t2) * 3 * c + c + h * hs + i];
                        s[t2] = d / Math.sqrt(hs);
                        max = Math.max(max, s[t2]);
                    }
                    for (int t2 = from; t2 <= ti; t2++) sum += (s[t2] = Math.exp(s[t2] - max));
                    for (int t2 = from; t2 <= ti; t2++) {
                        double a = s[t2] / sum;
                        if (p > 0) a = Dropout.uniform(5, 9, (long) ((bi * nh + h) * t + ti) * t + t2) < p ? 0 : a / (1 - p);
                        for (int i = 0; i < hs; i++) o[(bi * t + ti) * c + h * hs + i] += a * q[(bi * t + t2) * 3 * c + 2 * c + h * hs + i];
                    }
                }
                return o;
            }, r);
        }
    }

    @Test
    void crossEntropyWithIgnoredTargets() {
        int n = 4, v = 41;
        float[] logits = random(n * v, 2);
        int[] targets = {3, -100, 40, 0};
        float[] losses = new float[n], lse = new float[n];
        float[] work = logits.clone();
        CrossEntropy.forward(POOL, work, 0, targets, losses, 0, lse, 0, n, v);
        CrossEntropy.backwardInPlace(POOL, work, 0, targets, lse, 0, n, v, 1f);
        float[] one = {1f};
        check("cross-entropy", logits, work, ls -> {
            double total = 0;
            int counted = 0;
            for (int row = 0; row < n; row++) {
                if (targets[row] == -100) continue;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < v; i++) max = Math.max(max, ls[row * v + i]);
                for (int i = 0; i < v; i++) sum += Math.exp(ls[row * v + i] - max);
                total += max + Math.log(sum) - ls[row * v + targets[row]];
                counted++;
            }
            return new double[] {total / counted};
        }, one);
    }

    @Test
    void encoderResidualAndDropout() {
        int b = 2, t = 3, c = 19, v = 7;
        int[] ids = {1, 6, 1, 0, 6, 6}; // repeated tokens accumulate
        float[] wte = random(v * c, 1), wpe = random(t * c, 1), r = random(b * t * c, 1);
        float[] dwte = new float[v * c], dwpe = new float[t * c];
        Encoder.backward(POOL, dwte, 0, dwpe, 0, r, 0, ids, b, t, c);
        check("encoder dwte", wte, dwte, we -> {
            double[] o = new double[b * t * c];
            for (int bt = 0; bt < b * t; bt++) for (int i = 0; i < c; i++) o[bt * c + i] = we[ids[bt] * c + i] + wpe[(bt % t) * c + i];
            return o;
        }, r);
        check("encoder dwpe", wpe, dwpe, pe -> {
            double[] o = new double[b * t * c];
            for (int bt = 0; bt < b * t; bt++) for (int i = 0; i < c; i++) o[bt * c + i] = wte[ids[bt] * c + i] + pe[(bt % t) * c + i];
            return o;
        }, r);
        int n = 45;
        float[] a = random(n, 1), bb = random(n, 1), rr = random(n, 1), da = new float[n], db = new float[n];
        Residual.backward(POOL, da, 0, db, 0, rr, 0, n);
        check("residual", a, da, as -> {
            double[] o = new double[n];
            for (int i = 0; i < n; i++) o[i] = as[i] + bb[i];
            return o;
        }, rr);
        float[] x = random(n, 1), dx = rr.clone();
        Dropout.backward(POOL, dx, 0, n, 0.3f, 3, 4);
        check("dropout", x, dx, xs -> {
            double[] o = new double[n];
            for (int i = 0; i < n; i++) o[i] = Dropout.uniform(3, 4, i) < 0.3f ? 0 : xs[i] / (1 - 0.3f);
            return o;
        }, rr);
    }
}
