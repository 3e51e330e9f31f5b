package dev.llmsuite.engine.backend;

import dev.llmsuite.engine.cpu.CpuBackend;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Picks the compute backend a service runs on: {@code cpu}, {@code tornado} (a device through
 * TornadoVM, whatever its kind) or {@code auto} (TornadoVM when its backend module and runtime are
 * present and the device is a GPU or accelerator that answers the known-answer check, else the CPU:
 * an OpenCL CPU device such as PoCL is slower than the CPU backend). The TornadoVM backend is an
 * optional module, looked up by name, so nothing here depends on TornadoVM. Whatever goes wrong, the
 * service gets the CPU backend and one line saying why.
 */
public final class ComputeBackends {
    /**
     * The optional module's entry point: a public no-argument class with
     * {@code create(int device, boolean acceleratorsOnly, Map<String, String> settings)}.
     */
    static final String TORNADO_PROVIDER = "dev.llmsuite.engine.tornado.TornadoBackendProvider";

    private ComputeBackends() {}

    public static ComputeBackend select(String name, int device, int threads, Consumer<String> log) {
        return select(name, device, threads, Map.of(), log);
    }

    /**
     * @param tornadoSettings the TornadoVM backend's sizes ({@code tornado-memory}, e.g. "3g";
     *                        {@code tornado-max-tokens}); absent ones come from the environment or defaults
     */
    public static ComputeBackend select(String name, int device, int threads, Map<String, String> tornadoSettings,
                                        Consumer<String> log) {
        String choice = name == null ? "auto" : name.strip().toLowerCase();
        if (!choice.equals("auto") && !choice.equals("cpu") && !choice.equals("tornado")) {
            throw new IllegalArgumentException("llm.compute.backend must be auto, cpu or tornado, not '" + name + "'");
        }
        if (!choice.equals("cpu")) {
            try {
                Class<?> provider = Class.forName(TORNADO_PROVIDER);
                Object backend = provider.getMethod("create", int.class, boolean.class, Map.class)
                        .invoke(provider.getDeclaredConstructor().newInstance(), device, choice.equals("auto"), tornadoSettings);
                ComputeBackend b = (ComputeBackend) backend;
                log.accept("compute backend: " + b.name());
                return b;
            } catch (ClassNotFoundException e) {
                log.accept("compute backend: cpu (" + choice + " asked; this build has no TornadoVM backend)");
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                Throwable cause = e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
                log.accept("compute backend: cpu (TornadoVM device " + device + " not used: " + cause.getMessage() + ")");
            }
        }
        CpuBackend cpu = threads > 0 ? new CpuBackend(threads) : CpuBackend.allCores();
        if (choice.equals("cpu")) log.accept("compute backend: " + cpu.name());
        return cpu;
    }
}
