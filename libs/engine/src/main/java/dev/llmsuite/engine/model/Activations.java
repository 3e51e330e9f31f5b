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
    private final OwnedTensors owned;

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
        this.owned = new OwnedTensors(be);
        this.cfg = cfg;
        this.b = b;
        this.t = t;
        this.n = b * t;
        int l = cfg.layers(), c = cfg.embeddingDim(), nh = cfg.heads(), v = cfg.vocabSize();
        long nc = (long) n * c;
        encoded = owned.allocate(nc);
        ln1 = owned.allocate(l * nc);
        ln1Mean = owned.allocate((long) l * n);
        ln1Rstd = owned.allocate((long) l * n);
        qkv = owned.allocate(l * 3 * nc);
        atty = owned.allocate(l * nc);
        att = owned.allocate((long) l * b * nh * t * t);
        attproj = owned.allocate(l * nc);
        residual2 = owned.allocate(l * nc);
        ln2 = owned.allocate(l * nc);
        ln2Mean = owned.allocate((long) l * n);
        ln2Rstd = owned.allocate((long) l * n);
        fch = owned.allocate(l * 4 * nc);
        fchGelu = owned.allocate(l * 4 * nc);
        fcproj = owned.allocate(l * nc);
        residual3 = owned.allocate(l * nc);
        lnf = owned.allocate(nc);
        lnfMean = owned.allocate(n);
        lnfRstd = owned.allocate(n);
        logits = owned.allocate((long) n * v);
        losses = owned.allocate(n);
        lse = owned.allocate(n);
        dres = owned.allocate(nc);
        dres2 = owned.allocate(nc);
        dln1 = owned.allocate(nc);
        dqkv = owned.allocate(3 * nc);
        datty = owned.allocate(nc);
        dattproj = owned.allocate(nc);
        dln2 = owned.allocate(nc);
        dfch = owned.allocate(4 * nc);
        dfchGelu = owned.allocate(4 * nc);
        dfcproj = owned.allocate(nc);
        dlnf = owned.allocate(nc);
    }

    /** Gives every buffer back to the backend (a new batch shape replaces these). */
    void release() {
        owned.release();
    }

    /** Layer l's slice of a stacked tensor. */
    Tensor layer(Tensor stacked, int l) {
        long per = stacked.size() / cfg.layers();
        return be.slice(stacked, l * per, per);
    }
}
