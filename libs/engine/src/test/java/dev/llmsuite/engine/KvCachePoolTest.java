package dev.llmsuite.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llmsuite.engine.cpu.CpuBackend;
import dev.llmsuite.engine.generate.Decoder;
import dev.llmsuite.engine.generate.KvCache;
import dev.llmsuite.engine.generate.KvCachePool;
import dev.llmsuite.engine.generate.TokenSampler;
import dev.llmsuite.engine.model.GptConfig;
import dev.llmsuite.engine.model.GptModel;
import org.junit.jupiter.api.Test;

/** Reused caches: best fit within the slack, bounded by the budget, and a reused cache decodes exactly as a new one. */
class KvCachePoolTest {
    static final GptConfig CFG = new GptConfig(300, 512, 64, 4, 2, 0.0, true, true);

    @Test
    void bestFitWithinTheSlackAndNoMoreThanTheBudget() {
        try (CpuBackend be = new CpuBackend(1)) {
            long oneFull = new KvCache(be, CFG).bytes();
            try (KvCachePool<KvCache> pool = new KvCachePool<>(capacity -> new KvCache(be, CFG, capacity), oneFull)) {
                KvCache a = pool.take(100), b = pool.take(300);
                pool.give(b);
                pool.give(a);
                assertEquals(a.bytes() + b.bytes(), pool.keptBytes());
                assertSame(a, pool.take(90), "100 fits 90 best");
                assertNotSame(b, pool.take(100), "300 is more than 100 + slack: a new one");
                assertSame(b, pool.take(250));
                assertEquals(2, pool.reused());
                pool.give(new KvCache(be, CFG, 512));
                pool.give(new KvCache(be, CFG, 200)); // over the budget with the 512: the oldest (the 512) is freed
                assertEquals(new KvCache(be, CFG, 200).bytes(), pool.keptBytes());
                assertTrue(pool.keptBytes() <= oneFull);
            }
        }
    }

    @Test
    void aReusedCacheDecodesAsANewOne() {
        try (CpuBackend be = new CpuBackend(1); GptModel model = new GptModel(be, CFG); Decoder d = Decoder.fp32(model);
             KvCachePool<KvCache> pool = new KvCachePool<>(capacity -> new KvCache(be, CFG, capacity), 1L << 30)) {
            model.initialize(2);
            KvCache first = pool.take(64);
            float[] logits = d.prefill(new int[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12}, first); // leaves stale positions behind
            for (int i = 0; i < 20; i++) logits = d.decode(TokenSampler.argmax(logits), first);
            pool.give(first);
            int[] prompt = {1, 2, 3};
            KvCache reused = pool.take(60), fresh = new KvCache(be, CFG, 60);
            assertSame(first, reused);
            float[] a = d.prefill(prompt, reused), b = d.prefill(prompt, fresh);
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(b, a, "step " + i);
                a = d.decode(TokenSampler.argmax(a), reused);
                b = d.decode(TokenSampler.argmax(b), fresh);
            }
        }
    }
}
