package dev.llmsuite.engine.tornado;

import dev.llmsuite.engine.backend.ComputeBackend;
import java.util.Map;

/**
 * The entry point {@code ComputeBackends} looks up by name: builds the TornadoVM backend on device
 * {@code index} and proves it with a known-answer check before anyone trains or serves on it. Sizes come
 * from the caller's settings, else system properties or the environment: {@code tornado-memory}
 * ({@code llm.compute.tornado-memory}, {@code LLM_COMPUTE_TORNADO_MEMORY}: the device arena, e.g.
 * {@code 3g}; default 1g) and {@code tornado-max-tokens} (B·T per launch; default 65536).
 */
public final class TornadoBackendProvider {
    static final String RUNTIME_CLASS = "uk.ac.manchester.tornado.api.TornadoExecutionPlan";
    /** TornadoVM's cap on device buffers (-Dtornado.device.memory; a user's own setting is kept). */
    static final String DEVICE_MEMORY = "tornado.device.memory";

    /**
     * @param acceleratorsOnly for {@code llm.compute.backend=auto}: refuse an OpenCL CPU device (PoCL),
     *                         which is slower than the CPU backend
     */
    public ComputeBackend create(int device, boolean acceleratorsOnly, Map<String, String> settings) {
        long arenaBytes = setting(settings, "tornado-memory", "1g");
        if (System.getProperty(DEVICE_MEMORY) == null) {
            // TornadoVM refuses any buffer beyond this (default 4 GB) and reads it once, when its runtime starts,
            // which is below: the arena and the launch arrays fit, whatever arena was asked for
            System.setProperty(DEVICE_MEMORY, String.valueOf(arenaBytes + (1L << 30)));
        }
        try {
            Class.forName(RUNTIME_CLASS);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new IllegalStateException("the JVM was not started with the TornadoVM runtime (see docs/gpu.md)");
        } catch (LinkageError e) {
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            throw new IllegalStateException("the TornadoVM runtime failed to start (no usable driver or device?): " + root);
        }
        if (!"false".equals(System.getProperty("tornado.recover.bailout"))) {
            // a kernel that fails to compile must be an error, not a silent run on the host
            throw new IllegalStateException("start the JVM with -Dtornado.recover.bailout=false");
        }
        // TornadoVM types only from here on, in classes that load after the check above
        TornadoBackend backend = new TornadoBackend(TornadoDevices.get(device, acceleratorsOnly), (int) Math.min(Integer.MAX_VALUE - 64,
                arenaBytes / Float.BYTES), (int) setting(settings, "tornado-max-tokens", "65536"));
        try {
            KnownAnswerCheck.run(backend);
        } catch (RuntimeException | AssertionError e) {
            backend.close();
            throw e;
        }
        return backend;
    }

    /** A size (a number with an optional k, m or g) from the settings, else llm.compute.NAME, else LLM_COMPUTE_NAME. */
    static long setting(Map<String, String> settings, String name, String fallback) {
        String property = "llm.compute." + name;
        String env = property.toUpperCase().replace('.', '_').replace('-', '_');
        String value = settings.getOrDefault(name, System.getProperty(property, System.getenv().getOrDefault(env, fallback)));
        value = value.strip().toLowerCase();
        long unit = switch (value.isEmpty() ? ' ' : value.charAt(value.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            default -> 1L;
        };
        String digits = unit == 1 ? value : value.substring(0, value.length() - 1);
        try {
            long n = Long.parseLong(digits) * unit;
            if (n <= 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(property + " must be a positive size like 512m or 3g, not '" + value + "'");
        }
    }
}
