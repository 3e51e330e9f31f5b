package dev.llmsuite.engine;

import static dev.llmsuite.engine.KernelGradientTest.POOL;
import static dev.llmsuite.engine.KernelGradientTest.check;
import static dev.llmsuite.engine.KernelGradientTest.random;

import dev.llmsuite.engine.cpu.GroupedAttention;
import dev.llmsuite.engine.cpu.RmsNorm;
import dev.llmsuite.engine.cpu.Rope;
import dev.llmsuite.engine.cpu.SwiGlu;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The Llama and Qwen3 kernels' backward (what LoRA on them will run) against central finite differences, in double
 * precision, of plain double versions of their forward, as {@link KernelGradientTest} does for GPT-2's.
 */
class LlamaKernelGradientTest {

    @Test
    void rmsNorm() {
        int n = 5, c = 37;
        float[] x = random(n * c, 1), w = random(c, 1), r = random(n * c, 1);
        float[] out = new float[n * c], rstd = new float[n];
        RmsNorm.forward(POOL, out, 0, rstd, 0, x, 0, w, 0, n, c, 1e-5f);
        float[] dx = new float[n * c], dw = new float[c];
        RmsNorm.backward(POOL, dx, 0, dw, 0, r, 0, x, 0, w, 0, rstd, 0, n, c);
        Function<double[], double[]> normX = xs -> rms(xs, toDouble(w), n, c);
        check("rmsnorm dx", x, dx, normX, r);
        check("rmsnorm dw", w, dw, ws -> rms(toDouble(x), ws, n, c), r);
    }

    private static double[] rms(double[] x, double[] w, int n, int c) {
        double[] o = new double[n * c];
        for (int row = 0; row < n; row++) {
            double sq = 0;
            for (int i = 0; i < c; i++) sq += x[row * c + i] * x[row * c + i];
            double s = 1 / Math.sqrt(sq / c + 1e-5);
            for (int i = 0; i < c; i++) o[row * c + i] = x[row * c + i] * s * w[i];
        }
        return o;
    }

    @Test
    void rope() {
        int n = 3, heads = 2, d = 6, start = 4;
        float[] invFreq = {1f, 0.2f, 0.01f};
        float[] x = random(n * heads * d, 1), r = random(n * heads * d, 1);
        float[] dx = r.clone();
        Rope.backward(POOL, dx, 0, n, heads, d, start, invFreq);
        check("rope dx", x, dx, xs -> {
            double[] o = xs.clone();
            for (int row = 0; row < n; row++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < d / 2; i++) {
                        int a = row * heads * d + h * d + i, b = a + d / 2;
                        double angle = (double) (start + row) * invFreq[i];
                        o[a] = xs[a] * Math.cos(angle) - xs[b] * Math.sin(angle);
                        o[b] = xs[b] * Math.cos(angle) + xs[a] * Math.sin(angle);
                    }
                }
            }
            return o;
        }, r);
    }

    @Test
    void swiglu() {
        int n = 41;
        float[] g = random(n, 2), u = random(n, 1), r = random(n, 1);
        float[] dg = new float[n], du = new float[n];
        SwiGlu.backward(POOL, dg, 0, du, 0, r, 0, g, 0, u, 0, n);
        check("swiglu dgate", g, dg, gs -> {
            double[] o = new double[n];
            for (int i = 0; i < n; i++) o[i] = gs[i] / (1 + Math.exp(-gs[i])) * u[i];
            return o;
        }, r);
        check("swiglu dup", u, du, us -> {
            double[] o = new double[n];
            for (int i = 0; i < n; i++) o[i] = g[i] / (1 + Math.exp(-g[i])) * us[i];
            return o;
        }, r);
    }

    @Test
    void groupedAttention() {
        int t = 5, nh = 4, nkv = 2, d = 6;
        float[] q = random(t * nh * d, 0.5), k = random(t * nkv * d, 0.5), v = random(t * nkv * d, 1), r = random(t * nh * d, 1);
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        GroupedAttention.backward(POOL, dq, 0, dk, 0, dv, 0, r, 0, q, 0, k, 0, v, 0, t, nh, nkv, d);
        double[] qd = toDouble(q), kd = toDouble(k), vd = toDouble(v);
        check("gqa dq", q, dq, qs -> attention(qs, kd, vd, t, nh, nkv, d), r);
        check("gqa dk", k, dk, ks -> attention(qd, ks, vd, t, nh, nkv, d), r);
        check("gqa dv", v, dv, vs -> attention(qd, kd, vs, t, nh, nkv, d), r);
    }

    private static double[] attention(double[] q, double[] k, double[] v, int t, int nh, int nkv, int d) {
        double[] o = new double[t * nh * d];
        int group = nh / nkv;
        for (int row = 0; row < t; row++) {
            for (int h = 0; h < nh; h++) {
                int kvh = h / group;
                double[] p = new double[row + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int s = 0; s <= row; s++) {
                    double dot = 0;
                    for (int i = 0; i < d; i++) dot += q[row * nh * d + h * d + i] * k[s * nkv * d + kvh * d + i];
                    p[s] = dot / Math.sqrt(d);
                    max = Math.max(max, p[s]);
                }
                for (int s = 0; s <= row; s++) sum += (p[s] = Math.exp(p[s] - max));
                for (int s = 0; s <= row; s++) {
                    for (int i = 0; i < d; i++) o[row * nh * d + h * d + i] += p[s] / sum * v[s * nkv * d + kvh * d + i];
                }
            }
        }
        return o;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
