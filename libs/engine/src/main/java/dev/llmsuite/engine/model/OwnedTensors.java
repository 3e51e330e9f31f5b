package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Tensors allocated together and given back together (a set of working buffers replaced as a whole). */
final class OwnedTensors {
    private final ComputeBackend be;
    private final List<Tensor> owned = new ArrayList<>();

    OwnedTensors(ComputeBackend be) {
        this.be = be;
    }

    Tensor allocate(long size) {
        Tensor t = be.allocate(size);
        owned.add(t);
        return t;
    }

    /** Gives every tensor back to the backend; none may be used afterwards. */
    void release() {
        owned.forEach(be::release);
        owned.clear();
    }
}
