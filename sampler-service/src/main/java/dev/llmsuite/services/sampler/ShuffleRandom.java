package dev.llmsuite.services.sampler;

/**
 * java.util.Random's generator (the 48-bit linear congruential one, same seeds, same numbers), with its
 * state readable so that a dataset's shuffle can be stored between chunks and go on after a restart or
 * a move to another replica. {@code ShuffleRandomTest} holds it to java.util.Random.
 */
final class ShuffleRandom {
    private static final long MULTIPLIER = 0x5DEECE66DL;
    private static final long ADDEND = 0xBL;
    private static final long MASK = (1L << 48) - 1;

    private long state;

    private ShuffleRandom(long state) {
        this.state = state;
    }

    /** As {@code new java.util.Random(seed)}. */
    static ShuffleRandom seeded(long seed) {
        return new ShuffleRandom((seed ^ MULTIPLIER) & MASK);
    }

    /** Goes on from a {@link #state()}. */
    static ShuffleRandom resumed(long state) {
        return new ShuffleRandom(state & MASK);
    }

    long state() {
        return state;
    }

    private int next(int bits) {
        state = (state * MULTIPLIER + ADDEND) & MASK;
        return (int) (state >>> (48 - bits));
    }

    /** As {@code java.util.Random.nextInt(bound)}: uniform in [0, bound). */
    int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive");
        int r = next(31);
        int m = bound - 1;
        if ((bound & m) == 0) return (int) ((bound * (long) r) >> 31);
        for (int u = r; u - (r = u % bound) + m < 0; u = next(31)) {
            // rejected: u fell in the last, partial run of bound values
        }
        return r;
    }
}
