package dev.llmsuite.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of threads that live as long as the backend: {@link #run} hands them the tasks of one
 * operation, the calling thread works too, and it returns when every task is done. No thread is
 * created per operation. Results never depend on the thread count: a task's work is fixed by its
 * index, and reductions are ordered by index.
 */
public final class WorkerPool implements AutoCloseable {

    /**
     * One operation's tasks, cut into one contiguous share per thread: each thread works through its own share in
     * order, then takes what is left of the others'. A thread's tasks are neighbours in memory, so the hardware
     * prefetcher follows one stream; when two threads took turns task by task, each one's prefetcher ran on into
     * the other's rows and 8-bit decode read its weights at half the memory's bandwidth (docs/benchmarks.md).
     */
    private static final class Job {
        private static final int PAD = 16; // ints: each share's cursor on its own cache line
        final int tasks;
        final int shares;
        final IntConsumer body;
        final AtomicIntegerArray cursors;
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread caller = Thread.currentThread();

        Job(int tasks, int threads, IntConsumer body) {
            this.tasks = tasks;
            this.shares = Math.min(tasks, threads);
            this.body = body;
            this.cursors = new AtomicIntegerArray(shares * PAD);
            for (int s = 0; s < shares; s++) cursors.set(s * PAD, start(s));
        }

        private int start(int share) { return (int) ((long) share * tasks / shares); }

        /**
         * Runs tasks until none is left: first those of this thread's share, then the others' in turn. Counts them
         * done once at the end (one write to the shared counter a thread, not one a task).
         */
        void work(int self) {
            int finished = 0;
            for (int k = 0; k < shares; k++) {
                int s = (self + k) % shares, end = start(s + 1), i;
                while ((i = cursors.getAndIncrement(s * PAD)) < end) {
                    try {
                        body.accept(i);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                    finished++;
                }
            }
            if (finished > 0 && done.addAndGet(finished) == tasks && Thread.currentThread() != caller) LockSupport.unpark(caller);
        }
    }

    private final int threads;
    private final Thread[] workers;
    /**
     * How long an idle worker watches for the next job before it sleeps. A decode step hands out ~100 jobs a token,
     * microseconds apart, and a sleeping thread takes tens of microseconds to wake: without the watch, batch-1 int8
     * decode spent more time waking workers than multiplying (docs/benchmarks.md, "llama.cpp beside us").
     */
    private static final long WATCH_NANOS = Long.getLong("llm.cpu.watch-nanos", 200_000);

    /**
     * The job workers take next. Published without a lock: a watching worker sees it with one volatile read, and only
     * a sleeping one costs a notify (a job handed over under a monitor cost ~2.7 µs, ~150 times a decode step).
     */
    private volatile Job current;
    private volatile int sleepers; // written under lock
    private final Object lock = new Object();
    private volatile boolean closed;

    /** @param threads threads in all, the caller included (1 = run everything on the caller) */
    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int self = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("cpu-backend-" + self).start(() -> loop(self));
        }
    }

    public int threads() { return threads; }

    /** Runs body(0) … body(tasks - 1) across the pool and returns when all have finished. */
    public void run(int tasks, IntConsumer body) {
        if (tasks <= 0) return;
        if (threads == 1 || tasks == 1) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        Job job = new Job(tasks, threads, body);
        current = job;
        // A worker going to sleep counts itself before it looks at current again (both volatile): either it sees
        // this job, or this sees it counted and wakes it.
        if (sleepers > 0) {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
        job.work(0);
        int spins = 0;
        while (job.done.get() < tasks) {
            if (++spins < 2_000) Thread.onSpinWait();
            else LockSupport.parkNanos(50_000);
        }
        Throwable t = job.failure.get();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    private void loop(int self) {
        Job seen = null;
        while (!closed) {
            long since = System.nanoTime();
            while (current == seen && !closed && System.nanoTime() - since < WATCH_NANOS) Thread.onSpinWait();
            if (current == seen) {
                synchronized (lock) {
                    sleepers++;
                    try {
                        while (current == seen && !closed) lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    } finally {
                        sleepers--;
                    }
                }
            }
            Job job = current;
            if (job == seen) continue; // closed
            seen = job;
            job.work(self);
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
    }
}
