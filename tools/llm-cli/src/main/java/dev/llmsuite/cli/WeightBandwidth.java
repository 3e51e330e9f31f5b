package dev.llmsuite.cli;

import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.model.GptConfig;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The memory bound of batch-1 decode: each token reads every linear layer's weights and the output head once, so
 * tokens/s ≤ read bandwidth ÷ those bytes. The bandwidth is measured here, as decode reads: several threads summing
 * a large float array (larger than any cache) with vector loads.
 */
final class WeightBandwidth {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int FLOATS = 64 << 20; // 256 MB

    private WeightBandwidth() {}

    /** Bytes decode reads per token from the linear layers and the head in this format (8-bit: with its scales). */
    static double bytesPerToken(GptConfig cfg, ServingWeights format) {
        long c = cfg.embeddingDim();
        double weights = cfg.layers() * 12.0 * c * c + (double) cfg.vocabSize() * c;
        return switch (format) {
            case FP32, FP32_PANELS -> weights * 4;
            case BF16 -> weights * 2;
            case INT8 -> weights + weights / 64 * 4;
        };
    }

    /** 256 MB to read, every page touched: allocated once for all the measurements of a run. */
    static float[] buffer() {
        float[] data = new float[FLOATS];
        for (int i = 0; i < FLOATS; i += 1024) data[i] = i;
        return data;
    }

    /** GB/s of vector reads by threads threads over data (from {@link #buffer}), the best of five passes. */
    static double readGigabytesPerSecond(float[] data, int threads) {
        double best = 0;
        for (int pass = 0; pass < 5; pass++) {
            long t0 = System.nanoTime();
            double sum = IntStream.range(0, threads).parallel().mapToDouble(p -> {
                int per = FLOATS / threads, from = p * per, to = from + per;
                int l = S.length();
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0; // four chains: loads, not adds, bound it
                for (int i = from; i + 4 * l <= to; i += 4 * l) {
                    a0 = a0.add(FloatVector.fromArray(S, data, i));
                    a1 = a1.add(FloatVector.fromArray(S, data, i + l));
                    a2 = a2.add(FloatVector.fromArray(S, data, i + 2 * l));
                    a3 = a3.add(FloatVector.fromArray(S, data, i + 3 * l));
                }
                return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
            }).sum();
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (sum == -1) System.out.print(""); // keeps the sums alive
            best = Math.max(best, FLOATS * 4.0 / seconds / 1e9);
        }
        return best;
    }
}
