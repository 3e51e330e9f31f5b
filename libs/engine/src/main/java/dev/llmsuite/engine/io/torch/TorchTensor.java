package dev.llmsuite.engine.io.torch;

/**
 * A tensor in a PyTorch checkpoint: a contiguous run of its storage (checked when it is rebuilt: views and
 * non-contiguous strides are refused), the dimensions slowest first.
 */
record TorchTensor(TorchStorage storage, long offset, long[] shape) {
    long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
