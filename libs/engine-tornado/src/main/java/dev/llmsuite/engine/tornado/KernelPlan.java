package dev.llmsuite.engine.tornado;

import java.util.ArrayList;
import java.util.List;
import uk.ac.manchester.tornado.api.DataRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task4;
import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task5;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Every kernel of the backend as one task graph of one TornadoVM execution plan, all over the same
 * device arena. The first graph brings the arena to the device; every graph consumes it from the device
 * and leaves it there ({@code persistOnDevice}), so data never goes back to the host between kernels.
 * A launch uploads only the kernel's small argument arrays (and the token ids or a staging chunk where
 * the kernel takes them). Grids are fixed (kernels loop grid-stride), because a grid that changes between
 * launches makes TornadoVM rebuild the launch, which costs tens of milliseconds.
 */
final class KernelPlan implements AutoCloseable {
    static final int MAX_INTS = 16, MAX_FLOATS = 8;

    /** A registered kernel: its graph index and its own argument arrays. */
    record Kernel(String name, int graph, IntArray ints, FloatArray floats) {}

    private final FloatArray arena;
    private final IntArray tokens;
    private final FloatArray staging;
    private final int gridSize, groupSize;
    private final KernelContext context = new KernelContext();
    private final List<ImmutableTaskGraph> graphs = new ArrayList<>();
    private final GridScheduler grids = new GridScheduler();
    private TornadoExecutionPlan plan;
    private TornadoExecutionResult last;

    KernelPlan(FloatArray arena, IntArray tokens, FloatArray staging, int gridSize, int groupSize) {
        this.arena = arena;
        this.tokens = tokens;
        this.staging = staging;
        this.gridSize = gridSize;
        this.groupSize = groupSize;
    }

    int gridSize() { return gridSize; }

    Kernel add(String name, Task4<KernelContext, FloatArray, IntArray, FloatArray> code) {
        return add(name, code, gridSize, groupSize);
    }

    /** A kernel with its own fixed grid (for work-group kernels that need a given group size). */
    Kernel add(String name, Task4<KernelContext, FloatArray, IntArray, FloatArray> code, int grid, int group) {
        Kernel k = newKernel(name);
        finish(k, begin(k).task("k", code, context, arena, k.ints(), k.floats()), grid, group);
        return k;
    }

    /** A kernel that also reads the token ids (or targets, or document starts) of the launch. */
    Kernel addWithTokens(String name, Task5<KernelContext, FloatArray, IntArray, FloatArray, IntArray> code) {
        Kernel k = newKernel(name);
        TaskGraph g = begin(k).transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens);
        finish(k, g.task("k", code, context, arena, k.ints(), k.floats(), tokens));
        return k;
    }

    /** A kernel that also reads the host staging buffer (uploads). */
    Kernel addWithStaging(String name, Task5<KernelContext, FloatArray, IntArray, FloatArray, FloatArray> code) {
        Kernel k = newKernel(name);
        TaskGraph g = begin(k).transferToDevice(DataTransferMode.EVERY_EXECUTION, staging);
        finish(k, g.task("k", code, context, arena, k.ints(), k.floats(), staging));
        return k;
    }

    private Kernel newKernel(String name) {
        if (plan != null) throw new IllegalStateException("kernels are registered before the plan is built");
        return new Kernel(name, graphs.size(), new IntArray(MAX_INTS), new FloatArray(MAX_FLOATS));
    }

    private TaskGraph begin(Kernel k) {
        TaskGraph g = new TaskGraph(k.name());
        if (k.graph() == 0) g.transferToDevice(DataTransferMode.FIRST_EXECUTION, arena);
        else g.consumeFromDevice(arena);
        return g.transferToDevice(DataTransferMode.EVERY_EXECUTION, k.ints(), k.floats());
    }

    private void finish(Kernel k, TaskGraph g) {
        finish(k, g, gridSize, groupSize);
    }

    private void finish(Kernel k, TaskGraph g, int size, int group) {
        graphs.add(g.persistOnDevice(arena).snapshot());
        WorkerGrid1D grid = new WorkerGrid1D(size);
        grid.setLocalWork(group, 1, 1);
        grids.addWorkerGrid(k.name() + ".k", grid);
    }

    /** Builds the plan on the device; the first kernel registered must be the one that touches the arena. */
    void build(TornadoDevice device) {
        plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        plan.withGridScheduler(grids);
        if (device != null) plan.withDevice(device);
    }

    /** Runs kernel k with these arguments, to completion. */
    void launch(Kernel k, int[] ints, float... floats) {
        if (ints.length > MAX_INTS || floats.length > MAX_FLOATS) throw new IllegalArgumentException(k.name() + ": too many arguments");
        for (int i = 0; i < ints.length; i++) k.ints().set(i, ints[i]);
        for (int i = 0; i < floats.length; i++) k.floats().set(i, floats[i]);
        last = plan.withGraph(k.graph()).execute();
    }

    /** Brings arena[offset, offset + n) back to the host copy of the arena. */
    void fetch(long offset, long n) {
        if (n == 0) return;
        last.transferToHost(new DataRange(arena).withOffset(offset).withSize(n));
    }

    /**
     * Nothing is freed on the device: closing an execution plan while other plans live crashed the JVM
     * (SIGSEGV) now and then on PoCL, and in a shutdown hook every time. A backend lives as long as its
     * process, whose exit returns the device memory.
     */
    @Override
    public void close() {}
}
