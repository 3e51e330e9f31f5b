package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.Generator;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.SamplingParams;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GenerationTest {

    static GptModel model(CpuBackend be) {
        GptModel m = new GptModel(be, GptConfig.TINY);
        GptModelGradientTest.initialize(m, 5); // larger weights than GPT-2 init: sharper, varied predictions
        return m;
    }

    /** The book's generate_text_simple: the whole (cropped) sequence recomputed at every step. */
    static int[] recomputeGreedy(GptModel m, int[] prompt, int steps) {
        List<Integer> seq = new ArrayList<>();
        for (int t : prompt) seq.add(t);
        int[] out = new int[steps];
        for (int s = 0; s < steps; s++) {
            int from = Math.max(0, seq.size() - m.config().contextLength());
            int[] window = seq.subList(from, seq.size()).stream().mapToInt(Integer::intValue).toArray();
            m.forward(window, null, 1, window.length, false, 0);
            out[s] = TokenSampler.argmax(m.logitsAt(0, window.length - 1));
            seq.add(out[s]);
        }
        return out;
    }

    @Test
    void kvCachedDecodeGivesTheLogitsOfFullRecomputation() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = model(be);
            int[] seq = {3, 14, 15, 92, 65, 35, 89, 79, 32, 38};
            KvCache cache = new KvCache(be, m.config());
            Decoder decoder = Decoder.fp32(m);
            float[] cached = decoder.prefill(Arrays.copyOf(seq, 4), cache);
            for (int p = 4; p <= seq.length; p++) {
                m.forward(Arrays.copyOf(seq, p), null, 1, p, false, 0);
                float[] full = m.logitsAt(0, p - 1);
                for (int i = 0; i < full.length; i++) assertEquals(full[i], cached[i], 1e-4, "position " + p + " logit " + i);
                if (p < seq.length) cached = decoder.decode(seq[p], cache);
            }
            assertEquals(seq.length, cache.length());
        }
    }

    @Test
    void aBatchedDecodeStepEqualsEachSequenceAlone() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = model(be);
            int[][] prompts = {{3, 14, 15}, {92, 65, 35, 89, 79, 32}, {7}};
            KvCache[] batched = new KvCache[3], single = new KvCache[3];
            Decoder decoder = Decoder.fp32(m);
            for (int i = 0; i < 3; i++) {
                batched[i] = new KvCache(be, m.config());
                single[i] = new KvCache(be, m.config());
                decoder.prefill(prompts[i], batched[i]);
                decoder.prefill(prompts[i], single[i]);
            }
            int[] next = {1, 2, 3};
            for (int step = 0; step < 4; step++) {
                float[][] together = decoder.decodeBatch(next, batched);
                for (int i = 0; i < 3; i++) {
                    float[] alone = decoder.decode(next[i], single[i]);
                    for (int k = 0; k < alone.length; k++) assertEquals(alone[k], together[i][k], 1e-4, "sequence " + i + " step " + step);
                    next[i] = TokenSampler.argmax(alone);
                }
            }
            assertEquals(prompts[1].length + 4, batched[1].length(), "each sequence at its own position");
        }
    }

    @Test
    void greedyGenerationEqualsRecomputationAndEndsWhenTheContextIsFull() {
        try (CpuBackend be = new CpuBackend(2)) {
            GptModel m = model(be);
            int[] prompt = {1, 2, 3, 4, 5};
            // context 16: 5 prompt tokens leave 11 positions, and the last position's logits choose one more
            int room = m.config().contextLength() - prompt.length + 1;
            int[] expected = recomputeGreedy(m, prompt, room);
            List<Integer> streamed = new ArrayList<>();
            int[] got = new Generator(m).generate(prompt, SamplingParams.greedy(25), streamed::add);
            assertArrayEquals(expected, got, "the recomputation's tokens, and no token past a full context");
            assertEquals(Arrays.stream(got).boxed().toList(), streamed, "every token is streamed as it comes");
            int[] longPrompt = IntStream.range(0, 20).map(i -> i % 7).toArray();
            assertEquals(1, new Generator(m).generate(longPrompt, SamplingParams.greedy(5), null).length,
                    "a prompt over the context keeps its last 16 tokens, which fill it: one token, then the end");
        }
    }

    @Test
    void samplingIsReproducibleForASeedAndStopsAtStopTokens() {
        try (CpuBackend be = new CpuBackend(1)) {
            GptModel m = model(be);
            SamplingParams p = new SamplingParams(12, 1.0, 20, 0.9, 42, Set.of());
            int[] a = new Generator(m).generate(new int[] {7}, p, null);
            int[] b = new Generator(m).generate(new int[] {7}, p, null);
            assertArrayEquals(a, b);
            int stop = a[3];
            int[] c = new Generator(m).generate(new int[] {7}, new SamplingParams(12, 1.0, 20, 0.9, 42, Set.of(stop)), null);
            int firstStop = 0;
            while (a[firstStop] != stop) firstStop++;
            assertArrayEquals(Arrays.copyOf(a, firstStop), c, "stops before the stop token, which is not emitted");
        }
    }

    /** The vector argmax finds what a scan keeping the first strictly larger logit finds: ties, signed zeros, NaN, −∞. */
    @Test
    void argmaxIsTheFirstLargestLogit() {
        Random rnd = new Random(11);
        List<float[]> cases = new ArrayList<>();
        for (int n : new int[] {1, 5, 16, 17, 100, 50_257}) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) Math.floor(rnd.nextGaussian() * 3); // many ties
            cases.add(x);
        }
        cases.add(new float[] {-1f, -0f, 0f, -0f});
        cases.add(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY});
        float[] nan = new float[40];
        nan[3] = Float.NaN;
        nan[20] = 2f;
        cases.add(nan);
        float[] nanFirst = new float[40];
        nanFirst[0] = Float.NaN;
        nanFirst[30] = 5f;
        cases.add(nanFirst);
        for (float[] x : cases) {
            int want = 0;
            for (int i = 1; i < x.length; i++) if (x[i] > x[want]) want = i;
            assertEquals(want, TokenSampler.argmax(x), Arrays.toString(Arrays.copyOf(x, Math.min(8, x.length))) + " of " + x.length);
        }
    }

    @Test
    void topKOneIsGreedyAndTopPKeepsTheNucleus() {
        float[] logits = {0f, 3f, 1f, 2.9f};
        assertEquals(1, new TokenSampler(new SamplingParams(1, 5.0, 1, 1.0, 1, Set.of())).next(logits));
        // p ≈ {0.02, 0.47, 0.06, 0.43}: the nucleus reaching 0.5 is tokens 1 and 3
        for (long seed = 0; seed < 50; seed++) {
            int t = new TokenSampler(new SamplingParams(1, 1.0, 0, 0.5, seed, Set.of())).next(logits);
            assertTrue(t == 1 || t == 3, "token " + t);
        }
    }
}
