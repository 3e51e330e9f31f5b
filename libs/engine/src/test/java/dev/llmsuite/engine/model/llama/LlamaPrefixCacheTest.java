package dev.llmsuite.engine.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.PrefixCache;
import dev.llmsuite.engine.generate.ServingWeights;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.llama.LlamaConfig.Architecture;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A Llama 3 / Qwen3 prompt that begins like an earlier one restores its first blocks' keys and values (grouped-query:
 * NKV·D wide, rotated) and computes only the rest: the prompt's logits and every decode step after it are the same to
 * the bit as without the cache, at every suffix length around the block edges.
 */
class LlamaPrefixCacheTest {

    private static int[] prompt(int[] shared, int more, long seed, int vocab) {
        Random r = new Random(seed);
        int[] p = Arrays.copyOf(shared, shared.length + more);
        for (int i = shared.length; i < p.length; i++) p[i] = r.nextInt(vocab);
        return p;
    }

    /** The prompt's logits, then 3 greedy decode steps. */
    private static float[][] run(LlamaModel model, int[] prompt) {
        try (LlamaCache cache = model.newCache(prompt.length + 4)) {
            float[][] out = new float[4][];
            out[0] = model.prefill(prompt, cache);
            for (int i = 1; i < out.length; i++) {
                out[i] = model.decodeBatch(new int[] {TokenSampler.argmax(out[i - 1])}, List.of(cache))[0];
            }
            return out;
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void cachedPrefixesGiveBitIdenticalLogits(Architecture a) {
        LlamaConfig c = LlamaGeneratorTest.config(a, 512);
        try (CpuBackend be = new CpuBackend(2); LlamaModel plain = LlamaModel.initialized(be, c, 4); LlamaModel cached = LlamaModel.initialized(be, c, 4)) {
            plain.serve(ServingWeights.INT8); // decode steps on 8-bit copies, prompts in fp32, as served
            cached.serve(ServingWeights.INT8);
            PrefixCache prefixes = cached.newPrefixCache(64, (restored, computed) -> { });
            cached.usePrefixCache(prefixes);
            int[] shared = prompt(new int[0], 150, 1, c.vocabSize());
            int[] lengths = {1, 20, 63, 64, 65, 127, 128, 129, 200};
            for (int i = 0; i < lengths.length; i++) {
                int[] p = prompt(shared, lengths[i], 100 + i, c.vocabSize());
                float[][] want = run(plain, p), got = run(cached, p);
                for (int s = 0; s < want.length; s++) assertArrayEquals(want[s], got[s], 0f, a + ": suffix " + lengths[i] + ", step " + s);
            }
            assertTrue(prefixes.restoredPositions() >= 8L * 4 * PrefixCache.BLOCK, "restored " + prefixes.restoredPositions());
            assertThrows(IllegalArgumentException.class, () -> plain.usePrefixCache(new PrefixCache(be, c.layers() + 1, 8, 1, (x, y) -> { })),
                    "a prefix cache of another shape");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = "LLAMA")
    void aPromptThatDiffersInABlockRestoresNothingFromThere(Architecture a) {
        LlamaConfig c = LlamaGeneratorTest.config(a, 512);
        try (CpuBackend be = new CpuBackend(1); LlamaModel cached = LlamaModel.initialized(be, c, 4)) {
            PrefixCache prefixes = cached.newPrefixCache(64, (restored, computed) -> { });
            cached.usePrefixCache(prefixes);
            int[] first = prompt(new int[0], 140, 9, c.vocabSize());
            run(cached, first);
            int[] second = first.clone();
            second[100] = (second[100] + 1) % c.vocabSize();
            long before = prefixes.restoredPositions();
            run(cached, second);
            assertEquals(100 / PrefixCache.BLOCK * PrefixCache.BLOCK, prefixes.restoredPositions() - before);
        }
    }
}
