package dev.llmsuite.engine;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The CPU backend's tensors start past a cache-line pad: every operation must honour their offsets. */
class CpuBackendTest {

    @Test
    void crossEntropyWritesIntoSlicesAsIntoWholeTensors() {
        int n = 5, v = 37;
        Random r = new Random(7);
        float[] logits = MatmulTest.random(r, n * v);
        int[] targets = {3, -100, 36, 0, 11};
        try (CpuBackend be = new CpuBackend(2)) {
            Tensor whole = be.allocate(n * v), sliced = be.allocate(n * v);
            be.write(whole, 0, logits, 0, n * v);
            be.write(sliced, 0, logits, 0, n * v);
            Tensor losses = be.allocate(n), lse = be.allocate(n);
            Tensor lossesBig = be.allocate(n + 9), lseBig = be.allocate(n + 4);
            Tensor lossesSlice = be.slice(lossesBig, 9, n), lseSlice = be.slice(lseBig, 3, n);

            double a = be.crossEntropyForward(whole, targets, losses, lse, n, v);
            double b = be.crossEntropyForward(sliced, targets, lossesSlice, lseSlice, n, v);
            assertEquals(a, b, 0.0);
            assertArrayEquals(read(be, losses, n), read(be, lossesSlice, n));
            assertArrayEquals(read(be, lse, n), read(be, lseSlice, n));
            assertEquals(0f, read(be, lseBig, n + 4)[n + 3], "nothing written past the slice");

            be.crossEntropyBackward(whole, targets, lse, n, v, 1f);
            be.crossEntropyBackward(sliced, targets, lseSlice, n, v, 1f);
            assertArrayEquals(read(be, whole, n * v), read(be, sliced, n * v));
        }
    }

    @Test
    void allocatedTensorsAreZeroedAndHoldExactlyTheirSize() {
        try (CpuBackend be = new CpuBackend(1)) {
            Tensor t = be.allocate(19);
            assertEquals(19, t.size());
            assertArrayEquals(new float[19], read(be, t, 19));
            float[] ones = new float[19];
            Arrays.fill(ones, 1f);
            be.write(t, 0, ones, 0, 19);
            assertArrayEquals(ones, read(be, t, 19));
        }
    }

    private static float[] read(CpuBackend be, Tensor t, int n) {
        float[] out = new float[n];
        be.read(t, 0, out, 0, n);
        return out;
    }
}
