package dev.llmsuite.engine.cpu;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Where a float[]'s data starts inside the array object, so that tensors can begin on a 64-byte cache line.
 * A 16-float vector load from a misaligned address straddles two lines: the gradient products ran 15%
 * slower so (docs/benchmarks.md). The offset is only right when the array object itself starts on a line,
 * which holds for G1's humongous arrays (over half a heap region: every large weight and activation) and for
 * every object under {@code -XX:ObjectAlignmentInBytes=64} (what {@code ./llm} runs engine commands with);
 * elsewhere it costs 48 bytes a tensor and changes nothing.
 */
final class CacheLineAlignment {
    static final int LINE_BYTES = 64;

    /** Floats to skip at the start of a float[] so that element FLOATS_TO_FIRST_LINE begins a cache line. */
    static final int FLOATS_TO_FIRST_LINE = ((LINE_BYTES - arrayBaseOffset() % LINE_BYTES) % LINE_BYTES) / Float.BYTES;

    private CacheLineAlignment() {}

    /** The array header's size: mark word, class pointer, length (12 bytes with compact object headers). */
    private static int arrayBaseOffset() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return "true".equals(vm.getVMOption("UseCompactObjectHeaders").getValue()) ? 12 : 16;
        } catch (RuntimeException | LinkageError e) {
            return 16; // not HotSpot, or a VM without the option: the common layout
        }
    }
}
