package dev.llmsuite.services.sampler;

import java.util.Random;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ShuffleRandomTest {

    @Test
    void itDrawsJavaUtilRandomsNumbersAndGoesOnFromItsState() {
        for (long seed : new long[] {0, 1, 7L * 1_000_003L + 2, -5, Long.MAX_VALUE}) {
            Random reference = new Random(seed);
            ShuffleRandom ours = ShuffleRandom.seeded(seed);
            for (int i = 0; i < 20_000; i++) {
                int bound = 1 + (i * 7919) % 5000;
                if (i % 3 == 0) bound = 1 << (i % 20); // the power-of-two path
                if (i % 1000 == 999) ours = ShuffleRandom.resumed(ours.state()); // stored and read back
                assertEquals(reference.nextInt(bound), ours.nextInt(bound), "seed " + seed + ", draw " + i);
            }
        }
        // bounds near 2^31 reject often: the rejection loop must match too
        Random reference = new Random(42);
        ShuffleRandom ours = ShuffleRandom.seeded(42);
        for (int i = 0; i < 1000; i++) assertEquals(reference.nextInt(Integer.MAX_VALUE / 2 + 3), ours.nextInt(Integer.MAX_VALUE / 2 + 3));
    }
}
