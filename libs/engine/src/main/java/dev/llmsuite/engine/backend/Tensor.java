package dev.llmsuite.engine.backend;

/**
 * A float buffer owned by a {@link ComputeBackend}: host memory for the CPU, device memory for a GPU.
 * The model never touches its contents directly; it passes tensors to the backend's operations and
 * reads or writes them only through {@link ComputeBackend#read} and {@link ComputeBackend#write}.
 */
public interface Tensor {
    /** Number of floats. */
    long size();
}
