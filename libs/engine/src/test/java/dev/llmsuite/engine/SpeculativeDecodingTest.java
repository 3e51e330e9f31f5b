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
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Speculative decoding gives the target's greedy output token for token, whatever the draft: the target's own 8-bit
 * weights, the target itself, or an unrelated model. Its verification step's rows are decode steps' logits to the bit.
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
                            SpeculativeGenerator.Result spec = new SpeculativeGenerator(verifier, draft, k).generate(prompt, max, Set.of(), null);
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
            int[] spec = new SpeculativeGenerator(exact, self, 5).generate(prompt, 30, Set.of(stop), null).tokens();
            assertArrayEquals(plain, spec);
            int[] seen = {0};
            int[] cut = new SpeculativeGenerator(exact, self, 5).generate(prompt, 30, Set.of(), t -> ++seen[0] < 7).tokens();
            assertEquals(7, cut.length, "onToken false after the 7th token ends it there, mid-round");
            try (Decoder int8 = Decoder.of(target, ServingWeights.INT8)) {
                assertThrows(IllegalArgumentException.class, () -> new SpeculativeGenerator(int8, self, 4), "an 8-bit target cannot verify exactly");
            }
            assertThrows(IllegalArgumentException.class, () -> new SpeculativeGenerator(exact, self, 15));
            assertTrue(free.length == 30);
        }
    }
}
