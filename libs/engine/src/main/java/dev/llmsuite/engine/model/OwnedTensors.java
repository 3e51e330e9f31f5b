package dev.llmsuite.engine.model;

import dev.llmsuite.engine.backend.ComputeBackend;
import dev.llmsuite.engine.backend.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Tensors allocated together and given back together (a set of working buffers replaced as a whole). */
public final class OwnedTensors {
    private final ComputeBackend be;
    private final List<Tensor> owned = new ArrayList<>();

    public OwnedTensors(ComputeBackend be) {
        this.be = be;
    }

    public Tensor allocate(long size) {
        return own(be.allocate(size));
    }

    /** Takes a tensor the backend made otherwise (an 8-bit copy, say) into this set. */
    public Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    /** Gives every tensor back to the backend; none may be used afterwards. */
    public void release() {
        owned.forEach(be::release);
        owned.clear();
    }
}
