package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the forward pass keeps for backward, for one batch shape (B, T), in named backend buffers
 * (llm.c's ActivationTensors). Per-layer tensors are stacked [L, ...]; {@link #layer} picks one layer's
 * slice. What backward does not read (the two projections before their residual adds) or recomputes
 * cheaply (GELU's output, one pointwise pass) is one layer's buffer, reused layer by layer: for GPT-2 124M
 * at B = 8, T = 1024 that is 1.7 GB less, and what lets it train in one 2³¹-float device arena. The
 * gradient side keeps one layer's worth of scratch, reused layer by layer. A new shape takes
 * over the previous shape's buffers where they are large enough (a view of their beginning) and allocates
 * only where they are not: alternating training and evaluation shapes, or classification batches of every
 * length, reallocate nothing once the largest has been seen. Every kernel writes (or zeroes) what it reads.
 */
final class Activations {
    final int b, t, n;
    private final GptConfig cfg;
    private final ComputeBackend be;
    /** The buffers behind the tensors, in allocation order; each at least its tensor's size. */
    private final List<Tensor> buffers = new ArrayList<>();
    private final List<Tensor> inherited;

    // forward                                 shape
    final Tensor encoded;                   // [N, C]
    final Tensor ln1, ln1Mean, ln1Rstd;     // [L, N, C], [L, N], [L, N]
    final Tensor qkv;                       // [L, N, 3C]
    final Tensor atty;                      // [L, N, C]
    final Tensor att;                       // [L, attentionStateSize] (the CPU: [L, B, NH, T, T])
    final Tensor attproj;                   // [N, C]  one layer: consumed by the residual add
    final Tensor residual2;                 // [L, N, C]
    final Tensor ln2, ln2Mean, ln2Rstd;     // [L, N, C], [L, N], [L, N]
    final Tensor fch;                       // [L, N, 4C]
    final Tensor fchGelu;                   // [N, 4C] one layer: backward recomputes it from fch
    final Tensor fcproj;                    // [N, C]  one layer: consumed by the residual add
    final Tensor residual3;                 // [L, N, C]
    final Tensor lnf, lnfMean, lnfRstd;     // [N, C], [N], [N]
    final Tensor logits;                    // [N, V]; becomes dlogits in backward
    final Tensor losses, lse;               // [N]

    // backward scratch, one layer
    final Tensor dres, dres2, dln1, dqkv, datty, dattproj, dln2, dfch, dfchGelu, dfcproj, dlnf;

    /** Buffers for (b, t), taking over previous's (which must not be used afterwards); previous may be null. */
    Activations(ComputeBackend be, GptConfig cfg, int b, int t, Activations previous) {
        this.be = be;
        this.inherited = previous == null ? List.of() : previous.buffers;
        this.cfg = cfg;
        this.b = b;
        this.t = t;
        this.n = b * t;
        int l = cfg.layers(), c = cfg.embeddingDim(), nh = cfg.heads(), v = cfg.vocabSize();
        long nc = (long) n * c;
        encoded = take(nc);
        ln1 = take(l * nc);
        ln1Mean = take((long) l * n);
        ln1Rstd = take((long) l * n);
        qkv = take(l * 3 * nc);
        atty = take(l * nc);
        att = take(l * be.attentionStateSize(b, t, nh));
        attproj = take(nc);
        residual2 = take(l * nc);
        ln2 = take(l * nc);
        ln2Mean = take((long) l * n);
        ln2Rstd = take((long) l * n);
        fch = take(l * 4 * nc);
        fchGelu = take(4 * nc);
        fcproj = take(nc);
        residual3 = take(l * nc);
        lnf = take(nc);
        lnfMean = take(n);
        lnfRstd = take(n);
        logits = take((long) n * v);
        losses = take(n);
        lse = take(n);
        dres = take(nc);
        dres2 = take(nc);
        dln1 = take(nc);
        dqkv = take(3 * nc);
        datty = take(nc);
        dattproj = take(nc);
        dln2 = take(nc);
        dfch = take(4 * nc);
        dfchGelu = take(4 * nc);
        dfcproj = take(nc);
        dlnf = take(nc);
    }

    /** The next tensor of size floats: the previous shape's buffer at this place if large enough, else a new one. */
    private Tensor take(long size) {
        Tensor buffer = buffers.size() < inherited.size() ? inherited.get(buffers.size()) : null;
        if (buffer == null || buffer.size() < size) {
            if (buffer != null) be.release(buffer);
            buffer = be.allocate(size);
        }
        buffers.add(buffer);
        return buffer.size() == size ? buffer : be.slice(buffer, 0, size);
    }

    /** Gives every buffer back to the backend. */
    void release() {
        buffers.forEach(be::release);
        buffers.clear();
    }

    /** Layer l's slice of a stacked tensor. */
    Tensor layer(Tensor stacked, int l) {
        long per = stacked.size() / cfg.layers();
        return be.slice(stacked, l * per, per);
    }
}
