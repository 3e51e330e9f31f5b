package dev.llmsuite.engine.model.llama;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.generate.ServingWeights;
import java.util.ArrayList;
import java.util.List;

/**
 * What a {@link LlamaModel}'s decode steps read when it serves bf16, int8 or panel weights: per block q, k and v stacked
 * into one matrix [NH·D + 2·NKV·D, H] and gate and up into another [2I, H] (a step makes four products a block, not
 * seven, each a pass over all cores), o and down as they are, and the head: copies in the serving format. The norms stay
 * the model's own.
 */
record LlamaDecodeWeights(ComputeBackend be, ServingWeights format, List<Block> blocks, Tensor head, List<Tensor> copies) {
    /** One block's decode-step matrices. */
    record Block(Tensor qkv, Tensor wo, Tensor gateUp, Tensor wDown) {}

    static LlamaDecodeWeights of(ComputeBackend be, LlamaConfig c, List<LlamaModel.Layer> layers, Tensor head, ServingWeights format) {
        int h = c.hidden(), qw = c.heads() * c.headDim(), kvw = c.kvHeads() * c.headDim(), in = c.intermediate();
        List<Tensor> copies = new ArrayList<>();
        Copier copy = (w, rows, cols) -> {
            Tensor t = switch (format) {
                case BF16 -> be.quantize16(w, rows, cols);
                case INT8 -> be.quantize8(w, rows, cols);
                case FP32_PANELS -> be.panels(w, rows, cols);
                case FP32 -> throw new IllegalArgumentException("fp32 serves the model's own weights");
            };
            copies.add(t);
            return t;
        };
        List<Block> blocks = new ArrayList<>();
        for (LlamaModel.Layer l : layers) {
            Tensor qkv = stacked(be, l.wq(), (long) qw * h, l.wk(), (long) kvw * h, l.wv(), (long) kvw * h);
            Tensor gateUp = stacked(be, l.wGate(), (long) in * h, l.wUp(), (long) in * h, null, 0);
            blocks.add(new Block(copy.of(qkv, qw + 2 * kvw, h), copy.of(l.wo(), h, qw), copy.of(gateUp, 2 * in, h), copy.of(l.wDown(), h, in)));
            be.release(qkv);
            be.release(gateUp);
        }
        return new LlamaDecodeWeights(be, format, List.copyOf(blocks), copy.of(head, c.vocabSize(), h), copies);
    }

    private interface Copier {
        Tensor of(Tensor w, int rows, int cols);
    }

    /** The rows of a, then b, then c (c may be null) in one new fp32 matrix. */
    private static Tensor stacked(ComputeBackend be, Tensor a, long aSize, Tensor b, long bSize, Tensor c, long cSize) {
        Tensor all = be.allocate(aSize + bSize + cSize);
        be.copy(be.slice(all, 0, aSize), a);
        be.copy(be.slice(all, aSize, bSize), b);
        if (c != null) be.copy(be.slice(all, aSize + bSize, cSize), c);
        return all;
    }

    void release() {
        for (Tensor t : copies) be.release(t);
    }
}
