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
        encoded = be.allocate(nc);
        ln1 = be.allocate(l * nc);
        ln1Mean = be.allocate((long) l * n);
        ln1Rstd = be.allocate((long) l * n);
        qkv = be.allocate(l * 3 * nc);
        atty = be.allocate(l * nc);
        att = be.allocate((long) l * b * nh * t * t);
        attproj = be.allocate(l * nc);
        residual2 = be.allocate(l * nc);
        ln2 = be.allocate(l * nc);
        ln2Mean = be.allocate((long) l * n);
        ln2Rstd = be.allocate((long) l * n);
        fch = be.allocate(l * 4 * nc);
        fchGelu = be.allocate(l * 4 * nc);
        fcproj = be.allocate(l * nc);
        residual3 = be.allocate(l * nc);
        lnf = be.allocate(nc);
        lnfMean = be.allocate(n);
        lnfRstd = be.allocate(n);
        logits = be.allocate((long) n * v);
        losses = be.allocate(n);
        lse = be.allocate(n);
        dres = be.allocate(nc);
        dres2 = be.allocate(nc);
        dln1 = be.allocate(nc);
        dqkv = be.allocate(3 * nc);
        datty = be.allocate(nc);
        dattproj = be.allocate(nc);
        dln2 = be.allocate(nc);
        dfch = be.allocate(4 * nc);
        dfchGelu = be.allocate(4 * nc);
        dfcproj = be.allocate(nc);
        dlnf = be.allocate(nc);
    }

    /** Layer l's slice of a stacked tensor. */
    Tensor layer(Tensor stacked, int l) {
        long per = stacked.size() / cfg.layers();
        return be.slice(stacked, l * per, per);
    }
}
