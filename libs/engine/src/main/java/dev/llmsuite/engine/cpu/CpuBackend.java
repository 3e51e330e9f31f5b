package dev.llmsuite.engine.cpu;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import java.util.Arrays;

/**
 * The default backend: Java float arrays, kernels on the JDK Vector API, all cores through one
 * persistent {@link WorkerPool}. Over 250 lines because it is only a switchboard: one short method per
 * {@link ComputeBackend} operation, each handing its arrays and offsets to the kernel class that owns the math.
 */
public final class CpuBackend implements ComputeBackend {
    private static final int CHUNK = 1 << 16;
    private final WorkerPool pool;

    public CpuBackend(int threads) {
        requireVectorApi();
        this.pool = new WorkerPool(threads);
    }

    public static CpuBackend allCores() {
        return new CpuBackend(Runtime.getRuntime().availableProcessors());
    }

    /** The JVM must run with --add-modules=jdk.incubator.vector: fail now, in one line, not at first use. */
    static void requireVectorApi() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("the CPU backend needs the Vector API: start the JVM with "
                    + "--add-modules=jdk.incubator.vector");
        }
    }

    public int threads() { return pool.threads(); }

    @Override
    public String name() { return "cpu (" + pool.threads() + " threads)"; }

    private static CpuTensor t(Tensor x) { return (CpuTensor) x; }

    // ---------------------------------------------------------------- memory

    @Override
    public Tensor allocate(long size) {
        if (size > Integer.MAX_VALUE - 32) throw new IllegalArgumentException("tensor of " + size + " floats is over the CPU backend's 2^31 limit");
        // Data starting on a cache line: the kernels' 64-byte vector loads then never straddle two lines
        // (the gradient products ran 15% faster so; docs/benchmarks.md).
        int pad = CacheLineAlignment.FLOATS_TO_FIRST_LINE;
        return new CpuTensor(new float[(int) size + pad], pad, (int) size);
    }

    @Override
    public Tensor slice(Tensor x, long offset, long size) {
        CpuTensor c = t(x);
        if (offset < 0 || size < 0 || offset + size > c.length()) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + (offset + size) + ") of " + c.length());
        }
        return new CpuTensor(c.data(), c.offset() + (int) offset, (int) size);
    }

    @Override
    public void write(Tensor dst, long dstOffset, float[] src, int srcOffset, int n) {
        CpuTensor d = t(dst);
        System.arraycopy(src, srcOffset, d.data(), d.offset() + (int) dstOffset, n);
    }

    @Override
    public void read(Tensor src, long srcOffset, float[] dst, int dstOffset, int n) {
        CpuTensor s = t(src);
        System.arraycopy(s.data(), s.offset() + (int) srcOffset, dst, dstOffset, n);
    }

    @Override
    public void zero(Tensor x) {
        CpuTensor c = t(x);
        pool.run((c.length() + CHUNK - 1) / CHUNK, task -> {
            int from = c.offset() + task * CHUNK;
            Arrays.fill(c.data(), from, Math.min(c.offset() + c.length(), from + CHUNK), 0f);
        });
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        CpuTensor d = t(dst), s = t(src);
        System.arraycopy(s.data(), s.offset(), d.data(), d.offset(), s.length());
    }

    @Override
    public Tensor quantize8(Tensor weight, int rows, int cols) {
        return Int8Matrix.of(t(weight).data(), t(weight).offset(), rows, cols);
    }

    @Override
    public Tensor quantize16(Tensor weight, int rows, int cols) {
        return Bf16Matrix.of(t(weight).data(), t(weight).offset(), rows, cols);
    }

    @Override
    public Tensor panels(Tensor weight, int rows, int cols) {
        return PanelMatrix.of(t(weight).data(), t(weight).offset(), rows, cols);
    }

    // ---------------------------------------------------------------- layers

    @Override
    public void encoderForward(Tensor out, int[] ids, Tensor wte, Tensor wpe, int b, int t, int c) {
        Encoder.forward(pool, t(out).data(), t(out).offset(), ids, t(wte).data(), t(wte).offset(),
                t(wpe).data(), t(wpe).offset(), b, t, c);
    }

    @Override
    public void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, int[] ids, int b, int t, int c) {
        Encoder.backward(pool, t(dwte).data(), t(dwte).offset(), t(dwpe).data(), t(dwpe).offset(),
                t(dout).data(), t(dout).offset(), ids, b, t, c);
    }

    @Override
    public void layerNormForward(Tensor out, Tensor mean, Tensor rstd, Tensor inp, Tensor w, Tensor bias, int n, int c) {
        LayerNorm.forward(pool, t(out).data(), t(out).offset(), t(mean).data(), t(mean).offset(), t(rstd).data(),
                t(rstd).offset(), t(inp).data(), t(inp).offset(), t(w).data(), t(w).offset(), t(bias).data(),
                t(bias).offset(), n, c);
    }

    @Override
    public void layerNormBackward(Tensor dinp, Tensor dw, Tensor db, Tensor dout, Tensor inp, Tensor w, Tensor mean,
                                  Tensor rstd, int n, int c) {
        LayerNorm.backward(pool, t(dinp).data(), t(dinp).offset(), t(dw).data(), t(dw).offset(), t(db).data(),
                t(db).offset(), t(dout).data(), t(dout).offset(), t(inp).data(), t(inp).offset(), t(w).data(),
                t(w).offset(), t(mean).data(), t(mean).offset(), t(rstd).data(), t(rstd).offset(), n, c);
    }

    @Override
    public void matmulForward(Tensor out, Tensor inp, Tensor w, Tensor bias, int n, int c, int oc) {
        if (w instanceof Int8Matrix q) {
            if (q.rows() != oc || q.cols() != c) throw new IllegalArgumentException("8-bit weight is " + q.rows() + "x" + q.cols());
            Int8Matmul.forward(pool, t(out).data(), t(out).offset(), t(inp).data(), t(inp).offset(), q,
                    bias == null ? null : t(bias).data(), bias == null ? 0 : t(bias).offset(), n);
            return;
        }
        if (w instanceof Bf16Matrix h) {
            if (h.rows() != oc || h.cols() != c) throw new IllegalArgumentException("16-bit weight is " + h.rows() + "x" + h.cols());
            Bf16Matmul.forward(pool, t(out).data(), t(out).offset(), t(inp).data(), t(inp).offset(), h,
                    bias == null ? null : t(bias).data(), bias == null ? 0 : t(bias).offset(), n);
            return;
        }
        if (w instanceof PanelMatrix m) {
            if (m.rows() != oc || m.cols() != c) throw new IllegalArgumentException("panel weight is " + m.rows() + "x" + m.cols());
            PanelMatmul.forward(pool, t(out).data(), t(out).offset(), t(inp).data(), t(inp).offset(), m,
                    bias == null ? null : t(bias).data(), bias == null ? 0 : t(bias).offset(), n);
            return;
        }
        Matmul.forward(pool, t(out).data(), t(out).offset(), t(inp).data(), t(inp).offset(), t(w).data(),
                t(w).offset(), bias == null ? null : t(bias).data(), bias == null ? 0 : t(bias).offset(), n, c, oc);
    }

    @Override
    public void matmulBackward(Tensor dinp, Tensor dw, Tensor dbias, Tensor dout, Tensor inp, Tensor w,
                               int n, int c, int oc) {
        Matmul.backward(pool, dinp == null ? null : t(dinp).data(), dinp == null ? 0 : t(dinp).offset(),
                dw == null ? null : t(dw).data(), dw == null ? 0 : t(dw).offset(),
                dbias == null ? null : t(dbias).data(), dbias == null ? 0 : t(dbias).offset(),
                t(dout).data(), t(dout).offset(), t(inp).data(), t(inp).offset(), t(w).data(), t(w).offset(), n, c, oc);
    }

    @Override
    public void attentionForward(Tensor out, Tensor att, Tensor qkv, int[] documentStarts, int b, int t, int c, int nh,
                                 float dropRate, long seed, long site) {
        Attention.forward(pool, t(out).data(), t(out).offset(), t(att).data(), t(att).offset(), t(qkv).data(),
                t(qkv).offset(), documentStarts, b, t, c, nh, dropRate, seed, site);
    }

    @Override
    public void attentionBackward(Tensor dqkv, Tensor dout, Tensor qkv, Tensor att, int b, int t, int c, int nh,
                                  float dropRate, long seed, long site) {
        Attention.backward(pool, t(dqkv).data(), t(dqkv).offset(), t(dout).data(), t(dout).offset(), t(qkv).data(),
                t(qkv).offset(), t(att).data(), t(att).offset(), b, t, c, nh, dropRate, seed, site);
    }

    @Override
    public void attentionDecode(Tensor out, Tensor qkv, Tensor keyCache, Tensor valueCache, int pos, int c, int nh) {
        attentionDecodeBatch(out, qkv, new Tensor[] {keyCache}, new Tensor[] {valueCache}, new int[] {pos}, c, nh);
    }

    @Override
    public void attentionDecodeBatch(Tensor out, Tensor qkv, Tensor[] keyCaches, Tensor[] valueCaches, int[] positions, int c, int nh) {
        int nb = positions.length;
        float[][] kc = new float[nb][], vc = new float[nb][];
        int[] kcOff = new int[nb], vcOff = new int[nb];
        for (int i = 0; i < nb; i++) {
            kc[i] = t(keyCaches[i]).data();
            kcOff[i] = t(keyCaches[i]).offset();
            vc[i] = t(valueCaches[i]).data();
            vcOff[i] = t(valueCaches[i]).offset();
        }
        DecodeAttention.forward(pool, t(out).data(), t(out).offset(), t(qkv).data(), t(qkv).offset(), kc, kcOff, vc, vcOff, positions, c, nh);
    }

    @Override
    public void geluForward(Tensor out, Tensor inp, int n) {
        Gelu.forward(pool, t(out).data(), t(out).offset(), t(inp).data(), t(inp).offset(), n);
    }

    @Override
    public void geluBackward(Tensor dinp, Tensor inp, Tensor dout, int n) {
        Gelu.backward(pool, t(dinp).data(), t(dinp).offset(), t(inp).data(), t(inp).offset(), t(dout).data(),
                t(dout).offset(), n);
    }

    @Override
    public void rmsNormForward(Tensor out, Tensor rstd, Tensor inp, Tensor w, int n, int c, float eps) {
        RmsNorm.forward(pool, t(out).data(), t(out).offset(), t(rstd).data(), t(rstd).offset(), t(inp).data(), t(inp).offset(),
                t(w).data(), t(w).offset(), n, c, eps);
    }

    @Override
    public void rmsNormBackward(Tensor dinp, Tensor dw, Tensor dout, Tensor inp, Tensor w, Tensor rstd, int n, int c) {
        RmsNorm.backward(pool, t(dinp).data(), t(dinp).offset(), t(dw).data(), t(dw).offset(), t(dout).data(), t(dout).offset(),
                t(inp).data(), t(inp).offset(), t(w).data(), t(w).offset(), t(rstd).data(), t(rstd).offset(), n, c);
    }

    @Override
    public void ropeBackward(Tensor dx, int n, int heads, int d, int start, float[] invFreq) {
        Rope.backward(pool, t(dx).data(), t(dx).offset(), n, heads, d, start, invFreq);
    }

    @Override
    public void swigluBackward(Tensor dgate, Tensor dup, Tensor dout, Tensor gate, Tensor up, int n) {
        SwiGlu.backward(pool, t(dgate).data(), t(dgate).offset(), t(dup).data(), t(dup).offset(), t(dout).data(), t(dout).offset(),
                t(gate).data(), t(gate).offset(), t(up).data(), t(up).offset(), n);
    }

    @Override
    public void groupedAttentionBackward(Tensor dq, Tensor dk, Tensor dv, Tensor dout, Tensor q, Tensor k, Tensor v, int rows, int nh,
                                         int nkv, int d) {
        GroupedAttention.backward(pool, t(dq).data(), t(dq).offset(), t(dk).data(), t(dk).offset(), t(dv).data(), t(dv).offset(),
                t(dout).data(), t(dout).offset(), t(q).data(), t(q).offset(), t(k).data(), t(k).offset(), t(v).data(), t(v).offset(),
                rows, nh, nkv, d);
    }

    @Override
    public void ropeForward(Tensor x, int n, int heads, int d, int start, float[] invFreq) {
        Rope.forward(pool, t(x).data(), t(x).offset(), n, heads, d, start, invFreq);
    }

    @Override
    public void swigluForward(Tensor out, Tensor gate, Tensor up, int n) {
        SwiGlu.forward(pool, t(out).data(), t(out).offset(), t(gate).data(), t(gate).offset(), t(up).data(), t(up).offset(), n);
    }

    @Override
    public void groupedAttentionForward(Tensor out, Tensor q, Tensor k, Tensor v, int start, int rows, int nh, int nkv, int d) {
        GroupedAttention.forward(pool, t(out).data(), t(out).offset(), t(q).data(), t(q).offset(), t(k).data(), t(k).offset(),
                t(v).data(), t(v).offset(), start, rows, nh, nkv, d);
    }

    @Override
    public void residualForward(Tensor out, Tensor a, Tensor b, int n) {
        Residual.forward(pool, t(out).data(), t(out).offset(), t(a).data(), t(a).offset(), t(b).data(), t(b).offset(), n);
    }

    @Override
    public void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
        Residual.backward(pool, t(da).data(), t(da).offset(), t(db).data(), t(db).offset(), t(dout).data(),
                t(dout).offset(), n);
    }

    @Override
    public void dropout(Tensor x, int n, float rate, long seed, long site) {
        Dropout.apply(pool, t(x).data(), t(x).offset(), n, rate, seed, site);
    }

    @Override
    public double crossEntropyForward(Tensor logits, int[] targets, Tensor losses, Tensor lse, int n, int v) {
        return CrossEntropy.forward(pool, t(logits).data(), t(logits).offset(), targets, t(losses).data(),
                t(losses).offset(), t(lse).data(), t(lse).offset(), n, v);
    }

    @Override
    public void crossEntropyBackward(Tensor logits, int[] targets, Tensor lse, int n, int v, float lossScale) {
        CrossEntropy.backwardInPlace(pool, t(logits).data(), t(logits).offset(), targets, t(lse).data(), t(lse).offset(), n, v, lossScale);
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public double sumOfSquares(Tensor x) {
        CpuTensor c = t(x);
        int tasks = (c.length() + CHUNK - 1) / CHUNK;
        double[] partial = new double[tasks];
        pool.run(tasks, task -> {
            double s = 0;
            for (int i = c.offset() + task * CHUNK; i < Math.min(c.offset() + c.length(), c.offset() + task * CHUNK + CHUNK); i++) {
                s += (double) c.data()[i] * c.data()[i];
            }
            partial[task] = s;
        });
        double total = 0;
        for (double p : partial) total += p;
        return total;
    }

    @Override
    public void scale(Tensor x, float factor) {
        CpuTensor c = t(x);
        pool.run((c.length() + CHUNK - 1) / CHUNK, task -> {
            for (int i = c.offset() + task * CHUNK; i < Math.min(c.offset() + c.length(), c.offset() + task * CHUNK + CHUNK); i++) {
                c.data()[i] *= factor;
            }
        });
    }

    @Override
    public void adamW(Tensor params, Tensor grads, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, int step) {
        CpuTensor p = t(params), g = t(grads), mm = t(m), vv = t(v);
        if (p.offset() != g.offset() || p.offset() != mm.offset() || p.offset() != vv.offset()) {
            throw new IllegalArgumentException("AdamW buffers must be slices at the same offset");
        }
        pool.run((p.length() + CHUNK - 1) / CHUNK, task -> {
            int from = p.offset() + task * CHUNK;
            int n = Math.min(p.offset() + p.length(), from + CHUNK) - from;
            AdamWKernel.step(p.data(), g.data(), mm.data(), vv.data(), from, n, lr, beta1, beta2, eps, weightDecay, step);
        });
    }

    @Override
    public void close() {
        pool.close();
    }
}
