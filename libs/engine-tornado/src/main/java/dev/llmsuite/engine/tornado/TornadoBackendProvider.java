package dev.llmsuite.engine.tornado;

import dev.llmsuite.engine.backend.ComputeBackend;

/**
 * The entry point {@code ComputeBackends} looks up by name: builds the TornadoVM backend on device
 * {@code index} and proves it with a known-answer check before anyone trains or serves on it. Sizes come
 * from system properties or the environment: {@code llm.tornado.memory} / {@code LLM_TORNADO_MEMORY}
 * (device arena, e.g. {@code 3g}; default 1g) and {@code llm.tornado.max-tokens} /
 * {@code LLM_TORNADO_MAX_TOKENS} (B·T per launch; default 65536).
 */
public final class TornadoBackendProvider {
    static final String RUNTIME_CLASS = "uk.ac.manchester.tornado.api.TornadoExecutionPlan";

    public ComputeBackend create(int device) {
        try {
            Class.forName(RUNTIME_CLASS);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException("the JVM was not started with the TornadoVM runtime (see docs/gpu.md)");
        }
        if (!"false".equals(System.getProperty("tornado.recover.bailout"))) {
            // a kernel that fails to compile must be an error, not a silent run on the host
            throw new IllegalStateException("start the JVM with -Dtornado.recover.bailout=false");
        }
        TornadoBackend backend = new TornadoBackend(TornadoDevices.get(device), (int) Math.min(Integer.MAX_VALUE - 64,
                setting("llm.tornado.memory", "1g") / Float.BYTES), (int) setting("llm.tornado.max-tokens", "65536"));
        try {
            KnownAnswerCheck.run(backend);
        } catch (RuntimeException | AssertionError e) {
            backend.close();
            throw e;
        }
        return backend;
    }

    /** A size from a system property or its environment variable: a number with an optional k, m or g. */
    static long setting(String property, String fallback) {
        String env = property.toUpperCase().replace('.', '_').replace('-', '_');
        String value = System.getProperty(property, System.getenv().getOrDefault(env, fallback)).strip().toLowerCase();
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
