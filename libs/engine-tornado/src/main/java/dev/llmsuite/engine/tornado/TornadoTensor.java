package dev.llmsuite.engine.tornado;

import dev.llmsuite.engine.backend.Tensor;

/** A range of the backend's device arena: [offset, offset + length) floats. Slices are ranges inside ranges. */
record TornadoTensor(int offset, int length) implements Tensor {
    @Override
    public long size() {
        return length;
    }
}
