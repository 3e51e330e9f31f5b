package dev.llmsuite.engine.cpu;

/**
 * The loop the decode products over converted weights share (bfloat16 {@link Bf16Matmul}, and 8-bit {@link Int8Matmul}
 * for widths that are not a multiple of 64; other 8-bit products go block by block): tasks of 64 weight rows; each
 * weight row widened once for four input rows at a time, then two (a draft catching up with two tokens), the last one
 * alone.
 */
final class WeightRows {
    /** Weight rows a task: a multiple of {@link Int8Matrix#BLOCK}, so a task holds whole blocks. */
    static final int ROWS_PER_TASK = 64;

    /** One weight row o against input rows: four at once from r, or one. */
    interface Kernel {
        /** out[r..r+3][o] = input rows r..r+3 · weight row o + bias. */
        void four(int o, int r, float bias);

        /** input row r · weight row o. */
        float one(int o, int r);

        /** out[r..r+1][o] = input rows r, r+1 · weight row o + bias, if this kernel has a two-row form (false: it has not). */
        default boolean two(int o, int r, float bias) { return false; }
    }

    private WeightRows() {}

    /** out[r][o] for r < n, o < oc, through kernel (with four-row kernels only where fourRows allows). */
    static void forward(WorkerPool pool, float[] out, int outOff, float[] bias, int biasOff, int n, int oc, boolean fourRows,
                        Kernel kernel) {
        pool.run((oc + ROWS_PER_TASK - 1) / ROWS_PER_TASK, p -> {
            int end = Math.min(oc, (p + 1) * ROWS_PER_TASK);
            for (int o = p * ROWS_PER_TASK; o < end; o++) {
                float b = bias == null ? 0f : bias[biasOff + o];
                for (int r = 0; r < n; r += 4) {
                    int rows = Math.min(4, n - r);
                    if (rows == 4 && fourRows) {
                        kernel.four(o, r, b);
                    } else if (rows >= 2 && fourRows && kernel.two(o, r, b)) {
                        if (rows == 3) out[outOff + (r + 2) * oc + o] = kernel.one(o, r + 2) + b;
                    } else {
                        for (int i = 0; i < rows; i++) out[outOff + (r + i) * oc + o] = kernel.one(o, r + i) + b;
                    }
                }
            }
        });
    }
}
