package dev.llmsuite.services.sampler;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A streaming shuffle: windows wait in a buffer of fixed size; once it is full each new window pushes
 * out one picked at random. Reproducible for a seed; capacity 1 passes windows through in order.
 */
final class ShuffleBuffer<T> {
    private final int capacity;
    private final Random random;
    private final List<T> held = new ArrayList<>();

    ShuffleBuffer(int capacity, long seed) {
        this.capacity = capacity;
        this.random = new Random(seed);
    }

    /** Adds an item; returns the item pushed out, or null while the buffer fills. */
    T offer(T item) {
        held.add(item);
        if (held.size() < capacity) return null;
        return takeRandom();
    }

    /** What is left, in random order (end of an epoch). */
    List<T> drain() {
        List<T> out = new ArrayList<>(held.size());
        while (!held.isEmpty()) out.add(takeRandom());
        return out;
    }

    private T takeRandom() {
        int i = random.nextInt(held.size());
        T picked = held.get(i);
        held.set(i, held.get(held.size() - 1));
        held.remove(held.size() - 1);
        return picked;
    }

    int size() { return held.size(); }
}
