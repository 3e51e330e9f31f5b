package dev.llmsuite.engine.cpu;

/**
 * Inverted dropout with masks that are computed, not stored: whether element i of site s at step k is
 * kept is a hash of (seed, k, s, i). Backward recomputes the same mask, so dropout costs no memory and
 * gives the same result on any number of threads.
 */
public final class Dropout {
    private static final int CHUNK = 8192;

    private Dropout() {}

    /** Uniform in [0, 1) from a counter: SplitMix64's finalizer over the mixed inputs. */
    public static float uniform(long seed, long site, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + site * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 40) * 0x1.0p-24f;
    }

    /** In place: x *= keep ? 1/(1-p) : 0. */
    public static void apply(WorkerPool pool, float[] x, int off, int n, float p, long seed, long site) {
        if (p == 0f) return;
        float scale = 1f / (1f - p);
        pool.run((n + CHUNK - 1) / CHUNK, task -> {
            for (int i = task * CHUNK; i < Math.min(n, task * CHUNK + CHUNK); i++) {
                x[off + i] = uniform(seed, site, i) < p ? 0f : x[off + i] * scale;
            }
        });
    }

    /** Backward of {@link #apply} is the same masking applied to the gradient, in place. */
    public static void backward(WorkerPool pool, float[] dx, int off, int n, float p, long seed, long site) {
        apply(pool, dx, off, n, p, seed, site);
    }
}
