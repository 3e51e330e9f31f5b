package dev.llmsuite.engine.tornado;

/**
 * The CPU backend's dropout mask, bit for bit (see {@code dev.llmsuite.engine.cpu.Dropout#uniform}), in a
 * form the TornadoVM compiler inlines into kernels: whether element i of site s is kept is a hash of
 * (seed, site, i), so forward and backward agree and both backends drop the same elements.
 */
final class DropoutHash {
    private DropoutHash() {}

    static float uniform(long seed, long site, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + site * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        // x >>> k written as (x >> k) & mask: the OpenCL code TornadoVM emits shifts longs arithmetically
        z = (z ^ ((z >> 30) & 0x3FFFFFFFFL)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ ((z >> 27) & 0x1FFFFFFFFFL)) * 0x94D049BB133111EBL;
        z ^= (z >> 31) & 0x1FFFFFFFFL;
        return (int) ((z >> 40) & 0xFFFFFFL) * 0x1.0p-24f;
    }

    /** A long passed to a kernel as two ints. */
    static long join(int hi, int lo) {
        return ((long) hi << 32) | (lo & 0xFFFFFFFFL);
    }

    static int hi(long x) { return (int) (x >>> 32); }

    static int lo(long x) { return (int) x; }
}
