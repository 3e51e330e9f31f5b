package dev.llmsuite.engine.cpu;

import dev.llmsuite.engine.backend.Tensor;

/**
 * A weight matrix [rows, cols] in 8 bits for serving: each run of {@code group} values along a row
 * shares one scale (absmax / 127), so w ≈ q · scale with q in [-127, 127]. Groups of 64 (when the
 * width allows) keep one outlier from coarsening a whole 768-wide row.
 *
 * <p>Rows are stored in blocks of {@link #BLOCK}: within a block, group by group, the four rows' values of that group
 * one after another (and their four scales side by side). A decode step that multiplies four rows at once by one input
 * row then reads one forward stream, which the hardware prefetcher follows; four row-major rows read side by side were
 * four streams and ran at half the memory's bandwidth (docs/benchmarks.md). With one group a row (a width that is not
 * a multiple of 64) this is plain row-major order. The last block is padded with zero rows.
 *
 * <pre>
 *   q[(r / 4)·4·cols + g·4·group + (r % 4)·group + j]  = row r, column g·group + j
 *   scales[(r / 4)·4·groups + g·4 + r % 4]             = row r, group g          (groups = cols / group)
 * </pre>
 *
 * @param q      the values, {@link #paddedRows}·cols of them in the block order above
 * @param scales one per row and group, in the block order above
 */
public record Int8Matrix(byte[] q, float[] scales, int rows, int cols, int group) implements Tensor {
    static final int GROUP = 64;
    static final int BLOCK = 4;

    @Override
    public long size() { return (long) rows * cols; }

    /** Quantizes w[off .. off + rows·cols), row-major. */
    static Int8Matrix of(float[] w, int off, int rows, int cols) {
        int group = cols % GROUP == 0 ? GROUP : cols;
        int groups = cols / group;
        int padded = paddedRows(rows);
        Int8Matrix m = new Int8Matrix(new byte[padded * cols], new float[padded * groups], rows, cols, group);
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int from = off + r * cols + g * group, at = m.at(r, g * group);
                float absmax = 0;
                for (int k = 0; k < group; k++) absmax = Math.max(absmax, Math.abs(w[from + k]));
                float scale = absmax / 127f;
                m.scales[m.scaleAt(r, g)] = scale;
                float inv = scale == 0 ? 0 : 1 / scale;
                for (int k = 0; k < group; k++) m.q[at + k] = (byte) Math.round(w[from + k] * inv);
            }
        }
        return m;
    }

    /** Rows rounded up to whole blocks. */
    static int paddedRows(int rows) { return (rows + BLOCK - 1) / BLOCK * BLOCK; }

    /** Index in {@link #q} of row r, column k; a group's values follow one another from its first. */
    int at(int r, int k) {
        return (r / BLOCK) * BLOCK * cols + (k / group) * BLOCK * group + (r % BLOCK) * group + k % group;
    }

    /** Index in {@link #scales} of row r's group g. */
    int scaleAt(int r, int g) {
        return (r / BLOCK) * BLOCK * (cols / group) + g * BLOCK + r % BLOCK;
    }

    /** Row r's scale for group g. */
    public float scale(int r, int g) {
        return scales[scaleAt(r, g)];
    }

    /** The value the 8 bits stand for. */
    public float get(int row, int col) {
        return q[at(row, col)] * scale(row, col / group);
    }
}
