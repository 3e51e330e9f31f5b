package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;

/**
 * Everything the forward pass keeps for backward, for one batch shape (B, T), in one backend buffer
 * cut into named slices (llm.c's ActivationTensors). Per-layer tensors are stacked [L, ...]; {@link #layer}
 * picks one layer's slice. The gradient side keeps one layer's worth of scratch, reused layer by layer.
 */
final class Activations {
    final int b, t, n;
    private final GptConfig cfg;
    private final ComputeBackend be;
    private final java.util.List<Tensor> owned = new java.util.ArrayList<>();

    // forward                                 shape
    final Tensor encoded;                   // [N, C]
    final Tensor ln1, ln1Mean, ln1Rstd;     // [L, N, C], [L, N], [L, N]
    final Tensor qkv;                       // [L, N, 3C]
    final Tensor atty;                      // [L, N, C]
    final Tensor att;                       // [L, B, NH, T, T]
    final Tensor attproj;                   // [L, N, C]
    final Tensor residual2;                 // [L, N, C]
    final Tensor ln2, ln2Mean, ln2Rstd;     // [L, N, C], [L, N], [L, N]
    final Tensor fch, fchGelu;              // [L, N, 4C]
    final Tensor fcproj;                    // [L, N, C]
    final Tensor residual3;                 // [L, N, C]
    final Tensor lnf, lnfMean, lnfRstd;     // [N, C], [N], [N]
    final Tensor logits;                    // [N, V]; becomes dlogits in backward
    final Tensor losses, lse;               // [N]

    // backward scratch, one layer
    final Tensor dres, dres2, dln1, dqkv, datty, dattproj, dln2, dfch, dfchGelu, dfcproj, dlnf;

    Activations(ComputeBackend be, GptConfig cfg, int b, int t) {
        this.be = be;
        this.cfg = cfg;
        this.b = b;
        this.t = t;
        this.n = b * t;
        int l = cfg.layers(), c = cfg.embeddingDim(), nh = cfg.heads(), v = cfg.vocabSize();
        long nc = (long) n * c;
        encoded = alloc(nc);
        ln1 = alloc(l * nc);
        ln1Mean = alloc((long) l * n);
        ln1Rstd = alloc((long) l * n);
        qkv = alloc(l * 3 * nc);
        atty = alloc(l * nc);
        att = alloc((long) l * b * nh * t * t);
        attproj = alloc(l * nc);
        residual2 = alloc(l * nc);
        ln2 = alloc(l * nc);
        ln2Mean = alloc((long) l * n);
        ln2Rstd = alloc((long) l * n);
        fch = alloc(l * 4 * nc);
        fchGelu = alloc(l * 4 * nc);
        fcproj = alloc(l * nc);
        residual3 = alloc(l * nc);
        lnf = alloc(nc);
        lnfMean = alloc(n);
        lnfRstd = alloc(n);
        logits = alloc((long) n * v);
        losses = alloc(n);
        lse = alloc(n);
        dres = alloc(nc);
        dres2 = alloc(nc);
        dln1 = alloc(nc);
        dqkv = alloc(3 * nc);
        datty = alloc(nc);
        dattproj = alloc(nc);
        dln2 = alloc(nc);
        dfch = alloc(4 * nc);
        dfchGelu = alloc(4 * nc);
        dfcproj = alloc(nc);
        dlnf = alloc(nc);
    }

    private Tensor alloc(long size) {
        Tensor t = be.allocate(size);
        owned.add(t);
        return t;
    }

    /** Gives every buffer back to the backend (a new batch shape replaces these). */
    void release() {
        owned.forEach(be::release);
        owned.clear();
    }

    /** Layer l's slice of a stacked tensor. */
    Tensor layer(Tensor stacked, int l) {
        long per = stacked.size() / cfg.layers();
        return be.slice(stacked, l * per, per);
    }
}
