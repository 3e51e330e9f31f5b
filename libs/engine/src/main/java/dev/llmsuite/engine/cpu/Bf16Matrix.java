package dev.llmsuite.engine.cpu;

import dev.llmsuite.engine.backend.Tensor;

/**
 * A weight matrix [rows, cols] in bfloat16 for serving: the top 16 bits of each fp32 value, rounded to nearest
 * even (8 bits of mantissa, fp32's range), so a decode step reads half of fp32's bytes. No scales: bfloat16 keeps
 * every value's own exponent.
 *
 * <p>Layout, so that widening is two bit operations on one int load: each row is cut into blocks of 32 values, and
 * int j of block b holds value b·32 + j in its low half and value b·32 + 16 + j in its high half. An int vector of
 * L lanes then widens to two float vectors of L consecutive values each: {@code bits << 16} and
 * {@code bits & 0xFFFF0000}. A row's last, partial block is zero-padded.
 *
 * @param packed [rows, stride] ints, stride = 16 · ⌈cols / 32⌉
 */
public record Bf16Matrix(int[] packed, int rows, int cols, int stride) implements Tensor {
    static final int BLOCK = 32, HALF = 16;

    @Override
    public long size() { return (long) rows * cols; }

    /** Rounds w[off .. off + rows·cols), row-major. */
    static Bf16Matrix of(float[] w, int off, int rows, int cols) {
        int stride = HALF * ((cols + BLOCK - 1) / BLOCK);
        int[] packed = new int[rows * stride];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                int b = k / BLOCK, j = k % BLOCK, at = r * stride + b * HALF + j % HALF;
                int h = round(w[off + r * cols + k]) & 0xFFFF;
                packed[at] |= j < HALF ? h : h << 16;
            }
        }
        return new Bf16Matrix(packed, rows, cols, stride);
    }

    /** fp32 → bfloat16 bits, round to nearest, ties to even; NaN stays NaN. */
    public static short round(float x) {
        int f = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return (short) ((f >>> 16) | 0x40);
        return (short) ((f + 0x7FFF + ((f >>> 16) & 1)) >>> 16);
    }

    /** The value the 16 bits stand for. */
    public float get(int row, int col) {
        int b = col / BLOCK, j = col % BLOCK, bits = packed[row * stride + b * HALF + j % HALF];
        return Float.intBitsToFloat(j < HALF ? bits << 16 : bits & 0xFFFF0000);
    }
}
