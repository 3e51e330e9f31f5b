package dev.llmsuite.engine.cpu;

import dev.llmsuite.engine.backend.Tensor;
import jdk.incubator.vector.FloatVector;

/**
 * A weight matrix [rows, cols] in fp32, stored as panels of {@link #WIDTH} output rows for decode steps: panel p holds,
 * for each input index k, the WIDTH weights W[p·WIDTH + j][k] side by side. A product then broadcasts one input value
 * against one panel row and accumulates WIDTH outputs at once, so each output is a plain sequence of fused
 * multiply-adds over k — the same for one input row as for fifteen, which is what lets speculative decoding verify k
 * tokens in one step and still give a one-token step's bits ({@link PanelMatmul}). The last panel is zero-padded.
 *
 * @param data [panels, cols, WIDTH]
 */
public record PanelMatrix(float[] data, int rows, int cols) implements Tensor {
    /** Outputs per panel: two vectors (four input rows then keep eight accumulators, two weights and four inputs in registers). */
    static final int WIDTH = 2 * FloatVector.SPECIES_PREFERRED.length();

    @Override
    public long size() { return (long) rows * cols; }

    int panels() { return (rows + WIDTH - 1) / WIDTH; }

    /** Panels of w[off .. off + rows·cols), row-major. */
    static PanelMatrix of(float[] w, int off, int rows, int cols) {
        int panels = (rows + WIDTH - 1) / WIDTH;
        float[] data = new float[Math.multiplyExact(Math.multiplyExact(panels, cols), WIDTH)];
        for (int r = 0; r < rows; r++) {
            int p = r / WIDTH, j = r % WIDTH;
            for (int k = 0; k < cols; k++) data[(p * cols + k) * WIDTH + j] = w[off + r * cols + k];
        }
        return new PanelMatrix(data, rows, cols);
    }
}
