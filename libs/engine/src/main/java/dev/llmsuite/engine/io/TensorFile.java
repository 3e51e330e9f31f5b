package dev.llmsuite.engine.io;

import java.io.IOException;
import java.util.Map;

/** Named float tensors in a file, their shapes known (and checked against the file) before any is read. */
public interface TensorFile extends AutoCloseable {
    /** Every tensor's shape, slowest dimension first. */
    Map<String, long[]> shapes();

    /** A tensor's values, row-major, widened to float. */
    float[] floats(String name) throws IOException;

    @Override
    void close() throws IOException;
}
