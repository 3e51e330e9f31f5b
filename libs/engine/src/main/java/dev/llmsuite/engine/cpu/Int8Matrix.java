package dev.llmsuite.engine.cpu;

import dev.llmsuite.engine.backend.Tensor;

/**
 * A weight matrix [rows, cols] in 8 bits for serving: each run of {@code group} values along a row
 * shares one scale (absmax / 127), so w ≈ q · scale with q in [-127, 127]. Groups of 64 (when the
 * width allows) keep one outlier from coarsening a whole 768-wide row.
 *
 * @param q      [rows, cols] quantized values
 * @param scales [rows, cols / group]
 */
public record Int8Matrix(byte[] q, float[] scales, int rows, int cols, int group) implements Tensor {
    static final int GROUP = 64;

    @Override
    public long size() { return (long) rows * cols; }

    /** Quantizes w[off .. off + rows·cols), row-major. */
    static Int8Matrix of(float[] w, int off, int rows, int cols) {
        int group = cols % GROUP == 0 ? GROUP : cols;
        int groups = cols / group;
        byte[] q = new byte[rows * cols];
        float[] scales = new float[rows * groups];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int base = r * cols + g * group;
                float absmax = 0;
                for (int k = 0; k < group; k++) absmax = Math.max(absmax, Math.abs(w[off + base + k]));
                float scale = absmax / 127f;
                scales[r * groups + g] = scale;
                float inv = scale == 0 ? 0 : 1 / scale;
                for (int k = 0; k < group; k++) q[base + k] = (byte) Math.round(w[off + base + k] * inv);
            }
        }
        return new Int8Matrix(q, scales, rows, cols, group);
    }

    /** The value the 8 bits stand for. */
    public float get(int row, int col) {
        return q[row * cols + col] * scales[row * (cols / group) + col / group];
    }
}
