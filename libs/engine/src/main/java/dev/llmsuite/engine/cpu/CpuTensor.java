package dev.llmsuite.engine.cpu;

import dev.llmsuite.engine.backend.Tensor;

/** A range of a Java float array: on-heap, which the Vector API loads from fastest. */
public record CpuTensor(float[] data, int offset, int length) implements Tensor {
    @Override
    public long size() { return length; }
}
