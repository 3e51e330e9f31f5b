package dev.llmsuite.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The 16 × 16 register transpose against a plain copy, and the forward product whose Wᵀ panels it packs against the
 * kernel's own arithmetic written out in scalars (one fused multiply-add per k, in order), to the bit: packing only
 * moves floats, so W's width a multiple of 16 or not (transposed blocks, then the rest copied) changes nothing.
 */
class BlockTransposeTest {

    @Test
    void transposesABlockBetweenAnyRowStrides() {
        assumeTrue(BlockTranspose.FITS, "the register transpose needs 16-float vectors (AVX-512); this machine's are not");
        Random rnd = new Random(3);
        for (int[] strides : new int[][] {{16, 16}, {100, 64}, {768, 64}, {17, 33}}) {
            int srcRow = strides[0], dstRow = strides[1], s = 5, d = 7;
            float[] src = new float[s + 16 * srcRow], dst = new float[d + 16 * dstRow];
            for (int i = 0; i < src.length; i++) src[i] = (float) rnd.nextGaussian();
            BlockTranspose.transpose(src, s, srcRow, dst, d, dstRow);
            for (int i = 0; i < 16; i++) {
                for (int l = 0; l < 16; l++) assertEquals(src[s + l * srcRow + i], dst[d + i * dstRow + l], "row " + i + " lane " + l);
            }
        }
    }

    @Test
    void forwardProductFromSixteenRowsIsTheKernelsSumsToTheBit() {
        Random rnd = new Random(4);
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int c : new int[] {80, 100, 768}) {
                int n = 20, oc = 128;
                float[] inp = new float[n * c], w = new float[oc * c], bias = new float[oc], out = new float[n * oc];
                for (float[] a : new float[][] {inp, w, bias}) {
                    for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
                }
                Matmul.forward(pool, out, 0, inp, 0, w, 0, bias, 0, n, c, oc);
                for (int r = 0; r < n; r++) {
                    for (int o = 0; o < oc; o++) {
                        float sum = 0;
                        for (int k = 0; k < c; k++) sum = Math.fma(inp[r * c + k], w[o * c + k], sum);
                        assertEquals(sum + bias[o], out[r * oc + o], "width " + c + ", row " + r + ", column " + o);
                    }
                }
            }
        }
    }
}
