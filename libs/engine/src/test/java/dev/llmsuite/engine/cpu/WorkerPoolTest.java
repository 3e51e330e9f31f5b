package dev.llmsuite.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Every task exactly once, whoever runs it; contiguous shares; failures reach the caller; sleeping workers wake for the next job. */
class WorkerPoolTest {

    @Test
    void runsEveryTaskExactlyOnceForAnyThreadAndTaskCount() {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int tasks : new int[] {1, 2, 3, 5, 64, 785}) {
                    for (int round = 0; round < 50; round++) {
                        AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
                        pool.run(tasks, runs::incrementAndGet);
                        for (int i = 0; i < tasks; i++) assertEquals(1, runs.get(i), threads + " threads, " + tasks + " tasks, task " + i);
                    }
                }
            }
        }
    }

    @Test
    void eachThreadStartsAtItsOwnShare() {
        // shares are contiguous: while the caller holds task 0, the worker begins at the start of share 1, not at
        // task 1 (threads taking turns task by task read each other's weight rows: docs/benchmarks.md)
        try (WorkerPool pool = new WorkerPool(2)) {
            int tasks = 40;
            Thread caller = Thread.currentThread();
            CountDownLatch workerBegan = new CountDownLatch(1);
            AtomicInteger workersFirst = new AtomicInteger(-1);
            pool.run(tasks, i -> {
                if (Thread.currentThread() == caller) {
                    if (i == 0) await(workerBegan);
                } else if (workersFirst.compareAndSet(-1, i)) {
                    workerBegan.countDown();
                }
            });
            assertEquals(tasks / 2, workersFirst.get());
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(10, TimeUnit.SECONDS), "the worker never took a task");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aTasksFailureReachesTheCallerAndThePoolGoesOn() {
        try (WorkerPool pool = new WorkerPool(3)) {
            IllegalStateException boom = new IllegalStateException("task 7");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> pool.run(20, i -> {
                if (i == 7) throw boom;
            }));
            assertSame(boom, thrown);
            OutOfMemoryError oom = new OutOfMemoryError("task 3");
            assertSame(oom, assertThrows(OutOfMemoryError.class, () -> pool.run(20, i -> {
                if (i == 3) throw oom;
            })));
            AtomicIntegerArray runs = new AtomicIntegerArray(20);
            pool.run(20, runs::incrementAndGet);
            for (int i = 0; i < 20; i++) assertEquals(1, runs.get(i));
        }
    }

    @Test
    void workersThatFellAsleepWakeForTheNextJob() throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int round = 0; round < 20; round++) {
                Thread.sleep(3); // past the workers' watch (200 µs): they sleep and must be woken
                AtomicIntegerArray ranOn = new AtomicIntegerArray(64);
                assertTimeoutPreemptively(Duration.ofSeconds(10), () -> pool.run(64, i -> ranOn.incrementAndGet(i)));
                for (int i = 0; i < 64; i++) assertEquals(1, ranOn.get(i));
            }
        }
    }
}
