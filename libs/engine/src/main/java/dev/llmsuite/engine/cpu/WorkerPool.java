package dev.llmsuite.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
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

    private static final class Job {
        final int tasks;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread caller = Thread.currentThread();

        Job(int tasks, IntConsumer body) {
            this.tasks = tasks;
            this.body = body;
        }

        void work() {
            int i;
            while ((i = next.getAndIncrement()) < tasks) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                if (done.incrementAndGet() == tasks) LockSupport.unpark(caller);
            }
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

    private final Object lock = new Object();
    private volatile long generation; // written under lock
    private Job current;              // guarded by lock
    private int sleepers;             // guarded by lock
    private volatile boolean closed;

    /** @param threads threads in all, the caller included (1 = run everything on the caller) */
    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("cpu-backend-" + (i + 1)).start(this::loop);
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
        Job job = new Job(tasks, body);
        synchronized (lock) {
            current = job;
            generation++;
            if (sleepers > 0) lock.notifyAll();
        }
        job.work();
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

    private void loop() {
        long seen = 0;
        while (true) {
            long since = System.nanoTime();
            while (generation == seen && !closed && System.nanoTime() - since < WATCH_NANOS) Thread.onSpinWait();
            Job job;
            synchronized (lock) {
                while (generation == seen && !closed) {
                    sleepers++;
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    } finally {
                        sleepers--;
                    }
                }
                if (closed) return;
                seen = generation;
                job = current;
            }
            job.work();
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
