package dev.llmsuite.services.sampler;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A streaming shuffle: windows wait in a buffer of fixed size; once it is full each new window pushes
 * out one picked at random. Reproducible for a seed; capacity 1 passes windows through in order. The
 * buffer is the dataset's {@code shuffle/<slot>} entries of the windows store, slots 0 to held-1; the
 * generator's state and the count live in the dataset's progress.
 */
final class ShuffleBuffer {
    private final KeyValueStore<String, byte[]> store;
    private final String prefix;
    private final int capacity;
    private final DatasetProgress progress;

    ShuffleBuffer(KeyValueStore<String, byte[]> store, String dataset, int capacity, DatasetProgress progress) {
        this.store = store;
        this.prefix = dataset + "/shuffle/";
        this.capacity = capacity;
        this.progress = progress;
    }

    /** Adds a window; returns the window pushed out, or null while the buffer fills. */
    WindowStream.Window offer(WindowStream.Window w) {
        store.put(slot(progress.shuffleHeld++), SamplerStores.window(w));
        if (progress.shuffleHeld < capacity) return null;
        return takeRandom();
    }

    /** What is left, in random order (end of an epoch). */
    List<WindowStream.Window> drain() {
        List<WindowStream.Window> out = new ArrayList<>(progress.shuffleHeld);
        while (progress.shuffleHeld > 0) out.add(takeRandom());
        return out;
    }

    /** The picked slot is refilled from the last one, as a list's swap-remove would. */
    private WindowStream.Window takeRandom() {
        ShuffleRandom random = ShuffleRandom.resumed(progress.shuffleState); // reseeded when an epoch starts
        int i = random.nextInt(progress.shuffleHeld);
        progress.shuffleState = random.state();
        int last = progress.shuffleHeld - 1;
        WindowStream.Window picked = SamplerStores.window(store.get(slot(i)));
        if (i != last) store.put(slot(i), store.get(slot(last)));
        store.delete(slot(last));
        progress.shuffleHeld--;
        return picked;
    }

    private String slot(long i) {
        return prefix + SamplerStores.ordinal(i);
    }
}
