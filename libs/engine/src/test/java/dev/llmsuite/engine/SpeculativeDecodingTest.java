package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.SpeculativeGenerator;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import dev.llmsuite.engine.generate.TokenSampler;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Speculative decoding gives the target's greedy output token for token, whatever the draft: the target's own 8-bit
 * weights, the target itself, or an unrelated model. Its verification step's rows are decode steps' logits to the bit.
 * Sampling through it draws each token from the target's own distribution (computed exactly here by enumeration),
 * however unlike the draft's that is.
 */
class SpeculativeDecodingTest {
    static final GptConfig TARGET = new GptConfig(300, 48, 64, 4, 3, 0.0, true, true);
    static final GptConfig OTHER = new GptConfig(300, 48, 32, 2, 1, 0.0, true, true);

    @ParameterizedTest
    @EnumSource(value = ServingWeights.class, names = {"FP32", "FP32_PANELS"})
    void verificationRowsAreDecodeStepsToTheBit(ServingWeights weights) {
        try (CpuBackend be = new CpuBackend(2); GptModel model = new GptModel(be, TARGET); Decoder d = Decoder.of(model, weights)) {
            model.initialize(4);
            int[] prompt = {3, 141, 59, 26};
            for (int rows = 1; rows < 16; rows++) {
                int[] tokens = new Random(rows).ints(rows, 0, 300).toArray();
                try (KvCache a = new KvCache(be, TARGET); KvCache b = new KvCache(be, TARGET)) {
                    d.prefill(prompt, a);
                    d.prefill(prompt, b);
                    float[][] together = d.decodeAll(tokens, a);
                    for (int i = 0; i < rows; i++) assertArrayEquals(d.decode(tokens[i], b), together[i], rows + " rows, row " + i);
                    assertEquals(b.length(), a.length());
                }
            }
        }
    }

    @Test
    void outputIsTheTargetsGreedyOutputWhateverTheDraft() {
        try (CpuBackend be = new CpuBackend(2); GptModel target = new GptModel(be, TARGET); GptModel other = new GptModel(be, OTHER);
             Decoder exact = Decoder.fp32(target); Decoder panels = Decoder.of(target, ServingWeights.FP32_PANELS);
             Decoder int8 = Decoder.of(target, ServingWeights.INT8); Decoder self = Decoder.fp32(target); Decoder unrelated = Decoder.fp32(other)) {
            target.initialize(9);
            other.initialize(10);
            Random r = new Random(5);
            for (int trial = 0; trial < 6; trial++) {
                int[] prompt = r.ints(1 + r.nextInt(20), 0, 300).toArray();
                int max = 5 + r.nextInt(40); // up to the context's end (48) for the longer prompts
                for (Decoder verifier : new Decoder[] {exact, panels}) {
                    int[] plain = new Generator(verifier).generate(prompt, SamplingParams.greedy(max), null);
                    for (Decoder draft : new Decoder[] {int8, self, unrelated}) {
                        for (int k : new int[] {1, 3, 6}) {
                            SpeculativeGenerator.Result spec = new SpeculativeGenerator(verifier, draft, k).generate(prompt, SamplingParams.greedy(max), null);
                            assertArrayEquals(plain, spec.tokens(), "trial " + trial + ", target " + verifier.weights() + ", k " + k
                                    + ", draft " + draft.weights() + " " + draft.model().config().layers());
                            if (draft == self && verifier == exact) assertEquals(1.0, spec.stats().acceptance(), "the target drafting for itself is always right");
                        }
                    }
                }
            }
        }
    }

    @Test
    void stopTokensAndCallersEndItWherePlainDecodingWould() {
        try (CpuBackend be = new CpuBackend(2); GptModel target = new GptModel(be, TARGET); Decoder exact = Decoder.fp32(target);
             Decoder self = Decoder.fp32(target)) {
            target.initialize(9);
            int[] prompt = {7, 8, 9};
            int[] free = new Generator(exact).generate(prompt, SamplingParams.greedy(30), null);
            int stop = free[12];
            int[] plain = new Generator(exact).generate(prompt, new SamplingParams(30, 0, 0, 1, 0, Set.of(stop)), null);
            int[] spec = new SpeculativeGenerator(exact, self, 5).generate(prompt, new SamplingParams(30, 0, 0, 1, 0, Set.of(stop)), null).tokens();
            assertArrayEquals(plain, spec);
            int[] seen = {0};
            int[] cut = new SpeculativeGenerator(exact, self, 5).generate(prompt, SamplingParams.greedy(30), t -> ++seen[0] < 7).tokens();
            assertEquals(7, cut.length, "onToken false after the 7th token ends it there, mid-round");
            try (Decoder int8 = Decoder.of(target, ServingWeights.INT8)) {
                assertThrows(IllegalArgumentException.class, () -> new SpeculativeGenerator(int8, self, 4), "an 8-bit target cannot verify exactly");
            }
            assertThrows(IllegalArgumentException.class, () -> new SpeculativeGenerator(exact, self, 15));
            assertTrue(free.length == 30);
        }
    }

    /**
     * Sampling: the second and third tokens (the first comes from the prompt's prefill, not a round) are distributed as
     * the target's own, to a total-variation distance of 0.03 over 12,000 seeded runs (about 0.01 is the noise: plain
     * sampling shows as much), while the draft's distribution lies 0.1 to 0.6 away from it (so a rule that kept the
     * draft's tokens would fail).
     */
    @ParameterizedTest
    @CsvSource({"0.3,0,1.0", "0.15,4,0.9"})
    void samplingDrawsFromTheTargetsDistribution(double temperature, int topK, double topP) {
        GptConfig small = new GptConfig(16, 16, 32, 2, 2, 0.0, true, true), other = new GptConfig(16, 16, 32, 2, 1, 0.0, true, true);
        int runs = 12_000;
        int[] prompt = {3, 1, 4, 1, 5};
        try (CpuBackend be = new CpuBackend(2); GptModel target = new GptModel(be, small); GptModel drafter = new GptModel(be, other);
             Decoder exact = Decoder.fp32(target); Decoder draft = Decoder.fp32(drafter)) {
            target.initialize(31);
            drafter.initialize(32);
            SamplingParams params = new SamplingParams(3, temperature, topK, topP, 0, Set.of());
            TokenSampler dist = new TokenSampler(params);
            double[][] expected = new double[3][16], ofDraft = new double[3][16];
            exactMarginals(exact, dist, prompt, expected);
            exactMarginals(draft, dist, prompt, ofDraft);
            int[][] counts = new int[3][16];
            SpeculativeGenerator spec = new SpeculativeGenerator(exact, draft, 3);
            int[][] plainCounts = new int[3][16];
            for (int run = 0; run < runs; run++) {
                int[] po = new Generator(exact).generate(prompt, new SamplingParams(3, temperature, topK, topP, run, Set.of()), null);
                for (int i = 0; i < 3; i++) plainCounts[i][po[i]]++;
            }
            for (int position = 0; position < 3; position++) { // the enumeration is right: plain sampling meets it
                double tv = 0;
                for (int t = 0; t < 16; t++) tv += Math.abs(plainCounts[position][t] / (double) runs - expected[position][t]) / 2;
                assertTrue(tv < 0.03, "plain sampling, token " + (position + 1) + ": total variation " + tv);
            }
            for (int run = 0; run < runs; run++) {
                int[] out = spec.generate(prompt, new SamplingParams(3, temperature, topK, topP, run, Set.of()), null).tokens();
                assertEquals(3, out.length);
                for (int i = 0; i < 3; i++) counts[i][out[i]]++;
            }
            for (int position = 1; position < 3; position++) {
                double tv = 0, draftTv = 0;
                for (int t = 0; t < 16; t++) {
                    tv += Math.abs(counts[position][t] / (double) runs - expected[position][t]) / 2;
                    draftTv += Math.abs(ofDraft[position][t] - expected[position][t]) / 2;
                }
                assertTrue(draftTv > 0.09, "the draft must differ from the target for this to test anything: " + draftTv);
                assertTrue(tv < 0.03, "token " + (position + 1) + ": total variation " + tv + " from the target's distribution");
            }
        }
    }

    /** The marginal distribution of each of the first three sampled tokens after prompt, by enumerating their prefixes. */
    private static void exactMarginals(Decoder d, TokenSampler dist, int[] prompt, double[][] out) {
        try (KvCache c = new KvCache(d.model().backend(), d.model().config())) {
            double[] first = dist.distribution(prefillAfresh(d, c, prompt));
            out[0] = first.clone();
            for (int a = 0; a < 16; a++) {
                int[] pa = IntStream.concat(IntStream.of(prompt), IntStream.of(a)).toArray();
                double[] second = dist.distribution(prefillAfresh(d, c, pa));
                for (int b = 0; b < 16; b++) {
                    double pab = first[a] * second[b];
                    out[1][b] += pab;
                    if (pab == 0) continue;
                    double[] third = dist.distribution(prefillAfresh(d, c, IntStream.concat(IntStream.of(pa), IntStream.of(b)).toArray()));
                    for (int t = 0; t < 16; t++) out[2][t] += pab * third[t];
                }
            }
        }
    }

    private static float[] prefillAfresh(Decoder d, KvCache c, int[] tokens) {
        c.setLength(0);
        return d.prefill(tokens, c);
    }
}
