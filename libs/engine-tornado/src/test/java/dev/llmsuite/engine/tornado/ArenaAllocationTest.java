package dev.llmsuite.engine.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llmsuite.engine.backend.Tensor;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The arena gives memory back: a server that loads checkpoints and decodes requests all day does not run out. */
class ArenaAllocationTest {

    @Test
    void releasedMemoryIsReusedZeroedAndCoalesced() {
        TornadoBackend be = (TornadoBackend) TornadoDevice.backend();
        long before = be.free();
        Tensor a = be.allocate(1000), b = be.allocate(3000), c = be.allocate(10);
        float[] ones = new float[3000];
        Arrays.fill(ones, 1f);
        be.write(b, 0, ones, 0, 3000);
        be.release(b);
        Tensor d = be.allocate(2000); // fits in b's old range
        float[] back = new float[2000];
        be.read(d, 0, back, 0, 2000);
        for (float x : back) assertEquals(0f, x, "reused memory is zeroed");
        assertThrows(IllegalArgumentException.class, () -> be.release(be.slice(a, 16, 100)), "a slice is not an allocation");
        be.release(a);
        be.release(d);
        be.release(c);
        assertEquals(before, be.free(), "everything given back, the holes merged into the free top");
    }

    @Test
    void memoryGivenBackAtTheTopIsZeroedWhenHandedOutAgain() {
        TornadoBackend be = (TornadoBackend) TornadoDevice.backend();
        int n = 1 << 20; // larger than any hole the other tests leave: it comes from the top
        Tensor top = be.allocate(n);
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        be.write(top, 0, ones, 0, n);
        be.release(top); // the bump pointer moves back over it
        Tensor again = be.allocate(n);
        float[] back = new float[n];
        be.read(again, 0, back, 0, n);
        for (float x : back) assertEquals(0f, x, "memory under the high-water mark is zeroed");
        be.release(again);
    }

    @Test
    void modelsAndCachesGiveTheirMemoryBack() {
        TornadoBackend be = (TornadoBackend) TornadoDevice.backend();
        long before = -1;
        for (int load = 0; load < 4; load++) {
            if (load == 1) before = be.free(); // after load 0 has grown the backend's own scratch buffer // a server replacing its checkpoint
            GptModel m = new GptModel(be, GptConfig.TINY);
            m.initialize(load);
            new Generator(m).generate(new int[] {1, 2, 3}, SamplingParams.greedy(5), null);
            m.forward(new int[] {1, 2, 3, 4}, null, 2, 2, false, 0); // another shape: activations replaced
            m.close();
        }
        assertEquals(before, be.free(), "parameters, activations, decode buffers and KV caches all released");
    }
}
