package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.PrefixCache;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A prompt that begins like an earlier one skips that part of its prefill and gets the very same floats: logits
 * and greedy continuations bit-identical to a decoder without the cache, for prompts around every block boundary,
 * under eviction, and never from a prompt that only looks alike.
 */
class PrefixCacheTest {
    private static final int BLOCK = PrefixCache.BLOCK;
    private static final GptConfig CFG = new GptConfig(97, 512, 32, 4, 2, 0.0, true, false);
    private static CpuBackend be;
    private static GptModel model;

    @BeforeAll
    static void setUp() {
        be = new CpuBackend(2);
        model = new GptModel(be, CFG);
        model.initialize(7);
    }

    @AfterAll
    static void tearDown() {
        be.close();
    }

    private static int[] prompt(int[] prefix, int suffixLength, long seed) {
        Random r = new Random(seed);
        int[] p = Arrays.copyOf(prefix, prefix.length + suffixLength);
        for (int i = prefix.length; i < p.length; i++) p[i] = r.nextInt(CFG.vocabSize());
        return p;
    }

    /** The prompt's logits and then 8 greedy tokens, decoded with decoder. */
    private static float[][] run(Decoder decoder, int[] prompt) {
        try (KvCache cache = new KvCache(be, CFG)) {
            float[][] out = new float[9][];
            out[0] = decoder.prefill(prompt, cache);
            for (int i = 1; i < out.length; i++) out[i] = decoder.decode(TokenSampler.argmax(out[i - 1]), cache);
            return out;
        }
    }

    @Test
    void cachedPrefixesGiveBitIdenticalLogits() {
        int[] shared = prompt(new int[0], 150, 1); // a 150-token "system prompt": two whole blocks
        try (PrefixCache prefixes = new PrefixCache(be, CFG, 64); Decoder plain = Decoder.fp32(model); Decoder cached = Decoder.fp32(model)) {
            cached.usePrefixCache(prefixes);
            int[] lengths = {1, 20, 63, 64, 65, 127, 128, 129, 191, 192, 193, 250};
            for (int i = 0; i < lengths.length; i++) {
                int[] p = prompt(shared, lengths[i], 100 + i);
                float[][] want = run(plain, p), got = run(cached, p);
                for (int s = 0; s < want.length; s++) assertArrayEquals(want[s], got[s], 0f, "suffix " + lengths[i] + ", step " + s);
            }
            // every prompt after the first found the two shared blocks (and the longer ones their own too)
            assertTrue(prefixes.restoredPositions() >= 11L * 128, "restored " + prefixes.restoredPositions());
            // the shared prefix alone, its length a multiple of the block: the last token is computed, not restored
            int[] exact = Arrays.copyOf(shared, 4 * BLOCK);
            long before = prefixes.restoredPositions();
            assertArrayEquals(run(plain, exact)[0], run(cached, exact)[0], 0f);
            assertEquals(3 * BLOCK, prefixes.restoredPositions() - before, "three blocks restored, the fourth holds the last token");
        }
    }

    @Test
    void aFullCacheEvictsLeavesAndStaysExact() {
        try (PrefixCache prefixes = new PrefixCache(be, CFG, 3); Decoder plain = Decoder.fp32(model); Decoder cached = Decoder.fp32(model)) {
            cached.usePrefixCache(prefixes);
            Random r = new Random(5);
            for (int i = 0; i < 12; i++) {
                // family 0 (two blocks) every other prompt, so it stays recent; families 1-3 (one block each) in turn
                // between, sharing the third slot: they evict each other
                int family = i % 2 == 0 ? 0 : 1 + (i / 2) % 3;
                int[] base = prompt(new int[0], family == 0 ? 2 * BLOCK : BLOCK, family);
                int[] p = prompt(base, 1 + r.nextInt(BLOCK - 4), 1000 + i);
                float[][] want = run(plain, p), got = run(cached, p);
                for (int s = 0; s < want.length; s++) assertArrayEquals(want[s], got[s], 0f, "prompt " + i + ", step " + s);
                assertTrue(prefixes.blocks() <= 3, prefixes.blocks() + " blocks kept");
            }
            assertTrue(prefixes.evictions() > 0, "a cache of 3 blocks had to evict");
            assertTrue(prefixes.restoredPositions() >= 5 * 2 * BLOCK, "family 0's two blocks found each time: " + prefixes.restoredPositions());
        }
    }

    @Test
    void aPromptThatDiffersAnywhereInABlockRestoresNothingOfIt() {
        try (PrefixCache prefixes = new PrefixCache(be, CFG, 16); Decoder cached = Decoder.fp32(model)) {
            cached.usePrefixCache(prefixes);
            int[] first = prompt(new int[0], 140, 9);
            run(cached, first);
            int[] second = first.clone();
            second[100] = (second[100] + 1) % CFG.vocabSize(); // the same first blocks, then a different one
            long before = prefixes.restoredPositions();
            run(cached, second);
            assertEquals(100 / BLOCK * BLOCK, prefixes.restoredPositions() - before, "only the blocks before position 100 are the same");
            int[] third = first.clone();
            third[0] = (third[0] + 1) % CFG.vocabSize(); // a different first block: nothing after it counts
            before = prefixes.restoredPositions();
            run(cached, third);
            assertEquals(0, prefixes.restoredPositions() - before);
        }
    }

    @Test
    void blockWisePrefillIsTheModel() {
        int[] p = prompt(new int[0], 200, 3);
        model.forward(p, null, 1, p.length, false, 0); // the training forward over the whole prompt
        float[] want = model.logitsAt(0, p.length - 1);
        try (Decoder decoder = Decoder.fp32(model); KvCache cache = new KvCache(be, CFG)) {
            float[] got = decoder.prefill(p, cache);
            double scale = 0, diff = 0;
            for (int i = 0; i < want.length; i++) {
                scale = Math.max(scale, Math.abs(want[i]));
                diff = Math.max(diff, Math.abs(want[i] - got[i]));
            }
            assertTrue(diff / scale < 1e-5, "relative difference " + diff / scale);
        }
    }
}
