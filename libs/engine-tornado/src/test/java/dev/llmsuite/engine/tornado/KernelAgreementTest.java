package dev.llmsuite.engine.tornado;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every kernel of the TornadoVM backend against the CPU backend on fresh random inputs, on shapes that
 * are not multiples of anything (and on GPT-like ones). The error is the largest absolute difference
 * relative to the largest magnitude of the CPU's output; the table at the end goes in the notes.
 */
class KernelAgreementTest {
    private static final double TOLERANCE = 2e-5;
    private static final Map<String, Double> worst = new TreeMap<>();
    private static ComputeBackend gpu;
    private static CpuBackend cpu;
    private final Random random = new Random(20261122);

    @BeforeAll
    static void backends() {
        gpu = TornadoDevice.backend();
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void report() {
        if (cpu != null) cpu.close();
        System.out.println("kernel | largest relative error vs CPU");
        worst.forEach((k, e) -> System.out.printf("%s | %.2e%n", k, e));
    }

    /** The same float values in a tensor of each backend. */
    private record Pair(Tensor cpu, Tensor gpu, int n) {}

    private Pair random(int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * scale);
        return of(x);
    }

    private Pair zeros(int n) {
        return of(new float[n]);
    }

    private static Pair of(float[] x) {
        Tensor a = cpu.allocate(x.length), b = gpu.allocate(x.length);
        cpu.write(a, 0, x, 0, x.length);
        gpu.write(b, 0, x, 0, x.length);
        return new Pair(a, b, x.length);
    }

    private static void agree(String kernel, Pair p) {
        float[] want = new float[p.n()], got = new float[p.n()];
        cpu.read(p.cpu(), 0, want, 0, p.n());
        gpu.read(p.gpu(), 0, got, 0, p.n());
        double scale = 1e-30, diff = 0;
        for (int i = 0; i < p.n(); i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
            assertTrue(Float.isFinite(got[i]), kernel + ": not finite at " + i);
        }
        double err = diff / scale;
        worst.merge(kernel, err, Math::max);
        assertTrue(err < TOLERANCE, kernel + ": relative error " + err);
    }

    private static void agree(String kernel, double want, double got) {
        double err = Math.abs(want - got) / Math.max(1e-30, Math.abs(want));
        worst.merge(kernel, err, Math::max);
        assertTrue(err < TOLERANCE, kernel + ": " + got + " vs " + want);
    }

    private int[] ids(int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = random.nextInt(vocab);
        return ids;
    }

    @Test
    void memoryOperations() {
        Pair x = random(1000, 1f), y = zeros(1000);
        Tensor xs = gpu.slice(x.gpu(), 100, 300), ys = gpu.slice(y.gpu(), 50, 300);
        gpu.copy(ys, xs);
        cpu.copy(cpu.slice(y.cpu(), 50, 300), cpu.slice(x.cpu(), 100, 300));
        agree("copy (slices)", y);
        gpu.scale(x.gpu(), -0.75f);
        cpu.scale(x.cpu(), -0.75f);
        agree("scale", x);
        agree("sumOfSquares", cpu.sumOfSquares(x.cpu()), gpu.sumOfSquares(x.gpu()));
        gpu.zero(gpu.slice(x.gpu(), 7, 500));
        cpu.zero(cpu.slice(x.cpu(), 7, 500));
        agree("zero (slice)", x);
        Pair big = random(3_000_001, 1f); // more than one staging chunk each way
        agree("write/read (chunked)", big);
        agree("sumOfSquares", cpu.sumOfSquares(big.cpu()), gpu.sumOfSquares(big.gpu()));
    }

    /** Both product kernels (register tiles from global memory; 64 × 64 local-memory tiles), whichever the device uses. */
    @Test
    void matmulForwardAndBackward() {
        TornadoBackend device = (TornadoBackend) gpu;
        boolean deviceDefault = device.tiledProducts();
        // 300 rows: three chunks of the two-pass bias sum
        int[][] shapes = {{7, 13, 11}, {64, 48, 130}, {33, 64, 192}, {5, 17, 97}, {130, 70, 150}, {128, 64, 64}, {300, 16, 24}};
        try {
            for (boolean tiled : new boolean[] {false, true}) {
                device.useTiledProducts(tiled);
                String kind = tiled ? " (tiled)" : "";
                for (int[] s : shapes) {
                    int n = s[0], c = s[1], oc = s[2];
                    Pair inp = random(n * c, 1f), w = random(oc * c, 0.2f), bias = random(oc, 0.5f), out = zeros(n * oc);
                    cpu.matmulForward(out.cpu(), inp.cpu(), w.cpu(), bias.cpu(), n, c, oc);
                    gpu.matmulForward(out.gpu(), inp.gpu(), w.gpu(), bias.gpu(), n, c, oc);
                    agree("matmul forward" + kind, out);
                    cpu.matmulForward(out.cpu(), inp.cpu(), w.cpu(), null, n, c, oc);
                    gpu.matmulForward(out.gpu(), inp.gpu(), w.gpu(), null, n, c, oc);
                    agree("matmul forward (no bias)" + kind, out);
                    Pair dout = random(n * oc, 1f), dinp = random(n * c, 0.1f), dw = random(oc * c, 0.1f), db = random(oc, 0.1f);
                    cpu.matmulBackward(dinp.cpu(), dw.cpu(), db.cpu(), dout.cpu(), inp.cpu(), w.cpu(), n, c, oc);
                    gpu.matmulBackward(dinp.gpu(), dw.gpu(), db.gpu(), dout.gpu(), inp.gpu(), w.gpu(), n, c, oc);
                    agree("matmul backward dinp" + kind, dinp);
                    agree("matmul backward dweight" + kind, dw);
                    agree("matmul backward dbias" + kind, db);
                }
            }
        } finally {
            device.useTiledProducts(deviceDefault);
        }
    }

    @Test
    void layerNormGeluResidualDropout() {
        int[][] shapes = {{5, 7}, {37, 48}, {64, 192}, {300, 48}}; // 300 rows: three chunks of the parameter sums
        for (int[] s : shapes) {
            int n = s[0], c = s[1];
            Pair inp = random(n * c, 2f), w = random(c, 1f), b = random(c, 1f), out = zeros(n * c), mean = zeros(n), rstd = zeros(n);
            cpu.layerNormForward(out.cpu(), mean.cpu(), rstd.cpu(), inp.cpu(), w.cpu(), b.cpu(), n, c);
            gpu.layerNormForward(out.gpu(), mean.gpu(), rstd.gpu(), inp.gpu(), w.gpu(), b.gpu(), n, c);
            agree("layernorm forward", out);
            agree("layernorm forward mean", mean);
            agree("layernorm forward rstd", rstd);
            Pair dout = random(n * c, 1f), dinp = random(n * c, 0.1f), dw = random(c, 0.1f), db = random(c, 0.1f);
            cpu.layerNormBackward(dinp.cpu(), dw.cpu(), db.cpu(), dout.cpu(), inp.cpu(), w.cpu(), mean.cpu(), rstd.cpu(), n, c);
            gpu.layerNormBackward(dinp.gpu(), dw.gpu(), db.gpu(), dout.gpu(), inp.gpu(), w.gpu(), mean.gpu(), rstd.gpu(), n, c);
            agree("layernorm backward dinp", dinp);
            agree("layernorm backward dweight", dw);
            agree("layernorm backward dbias", db);

            int m = n * c;
            Pair g = zeros(m), dg = random(m, 0.1f);
            cpu.geluForward(g.cpu(), inp.cpu(), m);
            gpu.geluForward(g.gpu(), inp.gpu(), m);
            agree("gelu forward", g);
            cpu.geluBackward(dg.cpu(), inp.cpu(), dout.cpu(), m);
            gpu.geluBackward(dg.gpu(), inp.gpu(), dout.gpu(), m);
            agree("gelu backward", dg);

            Pair r = zeros(m), da = random(m, 0.1f), dbr = random(m, 0.1f);
            cpu.residualForward(r.cpu(), inp.cpu(), out.cpu(), m);
            gpu.residualForward(r.gpu(), inp.gpu(), out.gpu(), m);
            agree("residual forward", r);
            cpu.residualBackward(da.cpu(), dbr.cpu(), dout.cpu(), m);
            gpu.residualBackward(da.gpu(), dbr.gpu(), dout.gpu(), m);
            agree("residual backward", da);
            agree("residual backward", dbr);

            cpu.dropout(r.cpu(), m, 0.3f, 99, 7);
            gpu.dropout(r.gpu(), m, 0.3f, 99, 7);
            agree("dropout", r);
        }
    }

    @Test
    void encoderForwardAndBackward() {
        int[][] shapes = {{2, 5, 12, 97}, {3, 16, 32, 50}};
        for (int[] s : shapes) {
            int b = s[0], t = s[1], c = s[2], v = s[3];
            int[] ids = ids(b * t, v);
            ids[1] = ids[0]; // a repeated token: its gradients add up
            Pair wte = random(v * c, 1f), wpe = random(t * c, 1f), out = zeros(b * t * c);
            cpu.encoderForward(out.cpu(), ids, wte.cpu(), wpe.cpu(), b, t, c);
            gpu.encoderForward(out.gpu(), ids, wte.gpu(), wpe.gpu(), b, t, c);
            agree("encoder forward", out);
            Pair dout = random(b * t * c, 1f), dwte = random(v * c, 0.1f), dwpe = random(t * c, 0.1f);
            cpu.encoderBackward(dwte.cpu(), dwpe.cpu(), dout.cpu(), ids, b, t, c);
            gpu.encoderBackward(dwte.gpu(), dwpe.gpu(), dout.gpu(), ids, b, t, c);
            agree("encoder backward dwte", dwte);
            agree("encoder backward dwpe", dwpe);
        }
    }

    @Test
    void attentionForwardAndBackward() {
        int[][] shapes = {{2, 9, 12, 3}, {1, 33, 64, 4}, {2, 16, 128, 2}};
        for (int[] s : shapes) {
            int b = s[0], t = s[1], c = s[2], nh = s[3];
            for (float drop : new float[] {0f, 0.25f}) {
                for (boolean packed : new boolean[] {false, true}) {
                    int[] starts = null;
                    if (packed) {
                        starts = new int[b * t];
                        for (int bi = 0; bi < b; bi++) {
                            int start = 0;
                            for (int ti = 0; ti < t; ti++) {
                                if (ti > 0 && random.nextInt(5) == 0) start = ti;
                                starts[bi * t + ti] = start;
                            }
                        }
                    }
                    String tag = (drop > 0 ? " dropout" : "") + (packed ? " packed" : "");
                    Pair qkv = random(b * t * 3 * c, 1f), out = zeros(b * t * c);
                    // each backend's own state: the CPU's weights, the device's three floats per row
                    Tensor cpuState = cpu.allocate(cpu.attentionStateSize(b, t, nh));
                    Tensor gpuState = gpu.allocate(gpu.attentionStateSize(b, t, nh));
                    cpu.attentionForward(out.cpu(), cpuState, qkv.cpu(), starts, b, t, c, nh, drop, 5, 3);
                    gpu.attentionForward(out.gpu(), gpuState, qkv.gpu(), starts, b, t, c, nh, drop, 5, 3);
                    agree("attention forward" + tag, out);
                    Pair dout = random(b * t * c, 1f), dqkv = random(b * t * 3 * c, 0.1f);
                    cpu.attentionBackward(dqkv.cpu(), dout.cpu(), qkv.cpu(), cpuState, b, t, c, nh, drop, 5, 3);
                    gpu.attentionBackward(dqkv.gpu(), dout.gpu(), qkv.gpu(), gpuState, b, t, c, nh, drop, 5, 3);
                    agree("attention backward" + tag, dqkv);
                    cpu.release(cpuState);
                    gpu.release(gpuState);
                }
            }
        }
    }

    @Test
    void attentionDecodeAgainstTheCache() {
        int c = 48, nh = 4, maxT = 20;
        Pair kc = zeros(maxT * c), vc = zeros(maxT * c), out = zeros(c);
        for (int pos = 0; pos < 11; pos++) {
            Pair qkv = random(3 * c, 1f);
            cpu.attentionDecode(out.cpu(), qkv.cpu(), kc.cpu(), vc.cpu(), pos, c, nh);
            gpu.attentionDecode(out.gpu(), qkv.gpu(), kc.gpu(), vc.gpu(), pos, c, nh);
            agree("attention decode", out);
        }
        agree("attention decode key cache", kc);
        agree("attention decode value cache", vc);
    }

    /** Three sequences at different lengths in one batched step, each against its own caches. */
    @Test
    void attentionDecodeForABatchOfSequences() {
        int c = 48, nh = 4, maxT = 24, nb = 3;
        Pair[] kc = new Pair[nb], vc = new Pair[nb];
        for (int i = 0; i < nb; i++) {
            kc[i] = random(maxT * c, 1f);
            vc[i] = random(maxT * c, 1f);
        }
        Pair out = zeros(nb * c);
        int[] positions = {0, 7, 13};
        for (int step = 0; step < 5; step++) {
            Pair qkv = random(nb * 3 * c, 1f);
            cpu.attentionDecodeBatch(out.cpu(), qkv.cpu(), Arrays.stream(kc).map(Pair::cpu).toArray(Tensor[]::new),
                    Arrays.stream(vc).map(Pair::cpu).toArray(Tensor[]::new), positions, c, nh);
            gpu.attentionDecodeBatch(out.gpu(), qkv.gpu(), Arrays.stream(kc).map(Pair::gpu).toArray(Tensor[]::new),
                    Arrays.stream(vc).map(Pair::gpu).toArray(Tensor[]::new), positions, c, nh);
            agree("attention decode batch", out);
            for (int i = 0; i < nb; i++) positions[i]++;
        }
        for (int i = 0; i < nb; i++) {
            agree("attention decode batch key cache", kc[i]);
            agree("attention decode batch value cache", vc[i]);
        }
    }

    @Test
    void crossEntropyForwardAndBackward() {
        int[][] shapes = {{7, 97}, {64, 1000}, {3, 50257}};
        for (int[] s : shapes) {
            int n = s[0], v = s[1];
            int[] targets = ids(n, v);
            targets[n - 1] = -100;
            Pair logits = random(n * v, 3f), losses = zeros(n), lse = zeros(n);
            double want = cpu.crossEntropyForward(logits.cpu(), targets, losses.cpu(), lse.cpu(), n, v);
            double got = gpu.crossEntropyForward(logits.gpu(), targets, losses.gpu(), lse.gpu(), n, v);
            agree("cross-entropy loss", want, got);
            agree("cross-entropy lse", lse);
            cpu.crossEntropyBackward(logits.cpu(), targets, lse.cpu(), n, v, 0.5f);
            gpu.crossEntropyBackward(logits.gpu(), targets, lse.gpu(), n, v, 0.5f);
            agree("cross-entropy backward", logits);
        }
    }

    @Test
    void adamWStep() {
        int n = 10_007;
        Pair p = random(n, 1f), g = random(n, 0.01f), m = random(n, 0.001f), v = zeros(n);
        for (int step = 1; step <= 3; step++) {
            cpu.adamW(p.cpu(), g.cpu(), m.cpu(), v.cpu(), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, step);
            gpu.adamW(p.gpu(), g.gpu(), m.gpu(), v.gpu(), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, step);
        }
        agree("adamw parameters", p);
        agree("adamw first moment", m);
        agree("adamw second moment", v);
    }

    /** The Llama 3 / Qwen3 layers (LlamaKernels) on odd shapes: RMSNorm, rotary turns, SwiGLU, grouped-query attention. */
    @Test
    void llamaLayersForwardAndBackward() {
        int n = 37, c = 48;
        Pair x = random(n * c, 1f), w = random(c, 1f), out = zeros(n * c), rstd = zeros(n);
        cpu.rmsNormForward(out.cpu(), rstd.cpu(), x.cpu(), w.cpu(), n, c, 1e-5f);
        gpu.rmsNormForward(out.gpu(), rstd.gpu(), x.gpu(), w.gpu(), n, c, 1e-5f);
        agree("rmsnorm forward", out);
        agree("rmsnorm rstd", rstd);
        Pair rows = random(300 * 16, 1f), rowsW = random(16, 1f), rowsRstd = zeros(300);
        cpu.rmsNormForward(rows.cpu(), rowsRstd.cpu(), rows.cpu(), rowsW.cpu(), 300, 16, 1e-6f);
        gpu.rmsNormForward(rows.gpu(), rowsRstd.gpu(), rows.gpu(), rowsW.gpu(), 300, 16, 1e-6f);
        agree("rmsnorm forward in place (Qwen3's heads)", rows);
        Pair dout = random(n * c, 1f), dx = random(n * c, 0.1f), dw = random(c, 0.1f);
        cpu.rmsNormBackward(dx.cpu(), dw.cpu(), dout.cpu(), x.cpu(), w.cpu(), rstd.cpu(), n, c);
        gpu.rmsNormBackward(dx.gpu(), dw.gpu(), dout.gpu(), x.gpu(), w.gpu(), rstd.gpu(), n, c);
        agree("rmsnorm backward dinp", dx);
        agree("rmsnorm backward dweight", dw);

        int heads = 3, d = 16;
        float[] invFreq = new float[d / 2];
        for (int i = 0; i < invFreq.length; i++) invFreq[i] = (float) Math.pow(500_000, -2.0 * i / d);
        for (int start : new int[] {0, 1000}) {
            Pair qk = random(n * heads * d, 1f);
            cpu.ropeForward(qk.cpu(), n, heads, d, start, invFreq);
            gpu.ropeForward(qk.gpu(), n, heads, d, start, invFreq);
            agree("rope forward", qk);
            cpu.ropeBackward(qk.cpu(), 5, heads, d, start, invFreq);
            gpu.ropeBackward(qk.gpu(), 5, heads, d, start, invFreq);
            agree("rope backward", qk);
        }

        Pair gate = random(1000, 2f), up = random(1000, 1f), act = zeros(1000), dact = random(1000, 1f), dgate = random(1000, 0.1f), dup = random(1000, 0.1f);
        cpu.swigluForward(act.cpu(), gate.cpu(), up.cpu(), 1000);
        gpu.swigluForward(act.gpu(), gate.gpu(), up.gpu(), 1000);
        agree("swiglu forward", act);
        cpu.swigluBackward(dgate.cpu(), dup.cpu(), dact.cpu(), gate.cpu(), up.cpu(), 1000);
        gpu.swigluBackward(dgate.gpu(), dup.gpu(), dact.gpu(), gate.gpu(), up.gpu(), 1000);
        agree("swiglu backward dgate", dgate);
        agree("swiglu backward dup", dup);

        int t = 23, nh = 6, nkv = 2, hd = 16, cache = 40;
        Pair q = random(t * nh * hd, 1f), k = random(cache * nkv * hd, 1f), v = random(cache * nkv * hd, 1f), att = zeros(t * nh * hd);
        for (int[] shape : new int[][] {{0, t}, {17, 1}, {10, 6}}) { // a prompt, a decode step, a chunk after a cached prefix
            int start = shape[0], newRows = shape[1];
            Tensor oc = cpu.slice(att.cpu(), 0, (long) newRows * nh * hd), og = gpu.slice(att.gpu(), 0, (long) newRows * nh * hd);
            cpu.groupedAttentionForward(oc, q.cpu(), k.cpu(), v.cpu(), start, newRows, nh, nkv, hd);
            gpu.groupedAttentionForward(og, q.gpu(), k.gpu(), v.gpu(), start, newRows, nh, nkv, hd);
            agree("grouped attention forward", att);
        }
        Pair dAtt = random(t * nh * hd, 1f), dq = random(t * nh * hd, 0.1f), dk = random(cache * nkv * hd, 0.1f), dv = random(cache * nkv * hd, 0.1f);
        cpu.groupedAttentionBackward(dq.cpu(), dk.cpu(), dv.cpu(), dAtt.cpu(), q.cpu(), k.cpu(), v.cpu(), t, nh, nkv, hd);
        gpu.groupedAttentionBackward(dq.gpu(), dk.gpu(), dv.gpu(), dAtt.gpu(), q.gpu(), k.gpu(), v.gpu(), t, nh, nkv, hd);
        agree("grouped attention backward dq", dq);
        agree("grouped attention backward dk", dk);
        agree("grouped attention backward dv", dv);

        Pair table = random(50 * c, 1f), emb = zeros(n * c);
        int[] tokenIds = ids(n, 50);
        cpu.embeddingForward(emb.cpu(), tokenIds, table.cpu(), n, c);
        gpu.embeddingForward(emb.gpu(), tokenIds, table.gpu(), n, c);
        agree("embedding forward (no positions)", emb);
    }
}
