package dev.llmsuite.engine;

import dev.llmsuite.engine.cpu.Dropout;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.ParameterLayout;

/**
 * The same GPT, written the plainest way, in double precision: the yardstick for the engine's float
 * kernels. Dropout uses the engine's counter-based masks, so the two agree with dropout on as well.
 */
final class ReferenceGpt {
    private final GptConfig cfg;
    private final ParameterLayout layout;
    private final double[] p;

    ReferenceGpt(GptConfig cfg, double[] params) {
        this.cfg = cfg;
        this.layout = ParameterLayout.of(cfg);
        this.p = params;
    }

    private int off(String name) { return (int) layout.get(name).offset(); }

    /** Mean cross-entropy over targets that are not -100; logitsOut (if not null) receives [N, V]. */
    double loss(int[] ids, int[] targets, int b, int t, double dropRate, long seed, double[] logitsOut) {
        int c = cfg.embeddingDim(), v = cfg.vocabSize(), nh = cfg.heads(), hs = c / nh, n = b * t;
        double[] x = new double[n * c];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < c; i++) x[r * c + i] = p[off("wte") + ids[r] * c + i] + p[off("wpe") + (r % t) * c + i];
        }
        dropout(x, dropRate, seed, 0);
        for (int l = 0; l < cfg.layers(); l++) {
            String w = "h." + l + ".";
            double[] h = layerNorm(x, n, c, off(w + "ln_1.weight"), off(w + "ln_1.bias"));
            double[] qkv = linear(h, n, c, 3 * c, off(w + "attn.c_attn.weight"),
                    layout.has(w + "attn.c_attn.bias") ? off(w + "attn.c_attn.bias") : -1);
            double[] y = new double[n * c];
            for (int bi = 0; bi < b; bi++) {
                for (int hh = 0; hh < nh; hh++) {
                    for (int ti = 0; ti < t; ti++) {
                        double[] s = new double[ti + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int t2 = 0; t2 <= ti; t2++) {
                            double dot = 0;
                            for (int i = 0; i < hs; i++) {
                                dot += qkv[(bi * t + ti) * 3 * c + hh * hs + i] * qkv[(bi * t + t2) * 3 * c + c + hh * hs + i];
                            }
                            s[t2] = dot / Math.sqrt(hs);
                            max = Math.max(max, s[t2]);
                        }
                        double sum = 0;
                        for (int t2 = 0; t2 <= ti; t2++) sum += (s[t2] = Math.exp(s[t2] - max));
                        for (int t2 = 0; t2 <= ti; t2++) {
                            double a = s[t2] / sum;
                            if (dropRate > 0) {
                                long idx = (long) ((bi * nh + hh) * t + ti) * t + t2;
                                a = Dropout.uniform(seed, 1 + 3L * l, idx) < (float) dropRate ? 0 : a * (1f / (1f - (float) dropRate));
                            }
                            for (int i = 0; i < hs; i++) y[(bi * t + ti) * c + hh * hs + i] += a * qkv[(bi * t + t2) * 3 * c + 2 * c + hh * hs + i];
                        }
                    }
                }
            }
            double[] proj = linear(y, n, c, c, off(w + "attn.c_proj.weight"), off(w + "attn.c_proj.bias"));
            dropout(proj, dropRate, seed, 2 + 3L * l);
            for (int i = 0; i < n * c; i++) x[i] += proj[i];
            double[] h2 = layerNorm(x, n, c, off(w + "ln_2.weight"), off(w + "ln_2.bias"));
            double[] fc = linear(h2, n, c, 4 * c, off(w + "mlp.c_fc.weight"), off(w + "mlp.c_fc.bias"));
            for (int i = 0; i < fc.length; i++) {
                double z = fc[i];
                fc[i] = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
            }
            double[] mlp = linear(fc, n, 4 * c, c, off(w + "mlp.c_proj.weight"), off(w + "mlp.c_proj.bias"));
            dropout(mlp, dropRate, seed, 3 + 3L * l);
            for (int i = 0; i < n * c; i++) x[i] += mlp[i];
        }
        double[] f = layerNorm(x, n, c, off("ln_f.weight"), off("ln_f.bias"));
        double[] logits = linear(f, n, c, v, off(cfg.tiedOutputHead() ? "wte" : "lm_head.weight"), -1);
        if (logitsOut != null) System.arraycopy(logits, 0, logitsOut, 0, logits.length);
        double total = 0;
        int counted = 0;
        for (int r = 0; r < n; r++) {
            if (targets[r] == -100) continue;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < v; i++) max = Math.max(max, logits[r * v + i]);
            double sum = 0;
            for (int i = 0; i < v; i++) sum += Math.exp(logits[r * v + i] - max);
            total += max + Math.log(sum) - logits[r * v + targets[r]];
            counted++;
        }
        return counted == 0 ? 0 : total / counted;
    }

    private void dropout(double[] x, double rate, long seed, long site) {
        if (rate == 0) return;
        for (int i = 0; i < x.length; i++) {
            x[i] = Dropout.uniform(seed, site, i) < (float) rate ? 0 : x[i] * (1f / (1f - (float) rate));
        }
    }

    private double[] layerNorm(double[] x, int n, int c, int w, int bias) {
        double[] out = new double[n * c];
        for (int r = 0; r < n; r++) {
            double m = 0, var = 0;
            for (int i = 0; i < c; i++) m += x[r * c + i];
            m /= c;
            for (int i = 0; i < c; i++) var += (x[r * c + i] - m) * (x[r * c + i] - m);
            var /= c;
            double s = 1 / Math.sqrt(var + 1e-5);
            for (int i = 0; i < c; i++) out[r * c + i] = (x[r * c + i] - m) * s * p[w + i] + p[bias + i];
        }
        return out;
    }

    /** out[N, OC] = in[N, C] · W[OC, C]ᵀ + bias. */
    private double[] linear(double[] in, int n, int c, int oc, int w, int bias) {
        double[] out = new double[n * oc];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < oc; o++) {
                double s = bias >= 0 ? p[bias + o] : 0;
                for (int i = 0; i < c; i++) s += in[r * c + i] * p[w + o * c + i];
                out[r * oc + o] = s;
            }
        }
        return out;
    }
}
