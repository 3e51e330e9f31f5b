package dev.llmsuite.services.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SharedWeightsTest {

    @Test
    void onceReleasedNoJoinSucceedsNotEvenASecondOne() {
        AtomicInteger released = new AtomicInteger();
        SharedWeights weights = new SharedWeights(released::incrementAndGet);
        weights.join();  // an adapter view
        weights.leave();
        assertEquals(0, released.get(), "the owner still decodes on them");
        weights.leave(); // the owner's scheduler drained too: the weights go back
        assertEquals(1, released.get());
        assertThrows(IllegalStateException.class, weights::join);
        assertThrows(IllegalStateException.class, weights::join, "the failed join must not have counted itself");
        assertEquals(1, released.get(), "released once");
    }
}
